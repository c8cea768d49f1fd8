import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SecretSpec {
  /** File name under `<ORIGO_DATA>/secrets`. */
  name: string;
  /** Environment variable that, when set, supplies the secret instead of the file. */
  env: string;
  generate: () => string;
}

export class SecretStore {
  readonly dir: string;
  private readonly env: Record<string, string | undefined>;
  private readonly cache = new Map<string, Promise<string>>();

  constructor(dataDir: string, env: Record<string, string | undefined> = process.env) {
    this.dir = join(dataDir, 'secrets');
    this.env = env;
  }

  /**
   * Returns the secret from the environment or from its file, generating the file (mode 0600) on first
   * use. Creation uses O_EXCL so two roles starting at once agree on one value.
   */
  get(spec: SecretSpec): Promise<string> {
    let pending = this.cache.get(spec.name);
    if (!pending) {
      pending = this.load(spec);
      this.cache.set(spec.name, pending);
      pending.catch(() => this.cache.delete(spec.name));
    }
    return pending;
  }

  /**
   * An optional secret (never generated): from the environment or its file when either is there,
   * undefined otherwise. For values an operator supplies only sometimes, like the key before a rotation.
   */
  async find(spec: Pick<SecretSpec, 'name' | 'env'>): Promise<string | undefined> {
    const fromEnv = this.env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    try {
      const value = (await readFile(join(this.dir, spec.name), 'utf8')).trim();
      return value.length > 0 ? value : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private async load(spec: SecretSpec): Promise<string> {
    const fromEnv = this.env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, spec.name);
    try {
      await writeFile(path, spec.generate(), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const info = await stat(path);
    // A secret readable by others was copied or restored carelessly; tighten it rather than refuse to start.
    if ((info.mode & 0o077) !== 0) await chmod(path, 0o600);
    const value = (await readFile(path, 'utf8')).trim();
    if (value.length === 0)
      throw new Error(`Secret file ${path} is empty; delete it to regenerate or set ${spec.env}`);
    return value;
  }
}

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A new Ed25519 private key as a JWK with a random `kid`, serialised. */
export function generateEd25519Jwk(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return JSON.stringify({ ...jwk, kid: randomBytes(8).toString('hex'), alg: 'EdDSA', use: 'sig' });
}

/** Secrets the platform needs; each can be overridden from the environment (or a mounted file via env). */
export const PLATFORM_SECRETS = {
  joinTokenKey: { name: 'join-token-key.jwk', env: 'ORIGO_JOIN_TOKEN_KEY', generate: generateEd25519Jwk },
  turnSecret: { name: 'turn-secret', env: 'TURN_SECRET', generate: () => randomSecret(32) },
  cookieSecret: { name: 'cookie-secret', env: 'ORIGO_COOKIE_SECRET', generate: () => randomSecret(32) },
} satisfies Record<string, SecretSpec>;

/**
 * Secrets an operator supplies only for a while, never generated. The join-token key before the last
 * rotation: control still serves its public half and accepts it, so tokens signed just before stay valid.
 */
export const OPTIONAL_PLATFORM_SECRETS = {
  joinTokenKeyPrevious: { name: 'join-token-key.previous.jwk', env: 'ORIGO_JOIN_TOKEN_KEY_PREVIOUS' },
} satisfies Record<string, Pick<SecretSpec, 'name' | 'env'>>;
