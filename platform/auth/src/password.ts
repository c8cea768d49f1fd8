import { readFileSync } from 'node:fs';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id parameters. The production values follow OWASP's password storage cheat sheet (m=19 MiB,
 * t=2, p=1). Tests may pass lower values through `createAuthService({ argon2 })` explicitly; nothing
 * else lowers them.
 */
export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const PRODUCTION_ARGON2: Readonly<Argon2Params> = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

// @node-rs/argon2 declares `Algorithm` as a const enum, which isolatedModules cannot inline: 2 is Argon2id.
const ARGON2ID = 2;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

let commonPasswords: ReadonlySet<string> | undefined;

/** The shipped list (assets/common-passwords.txt), read once on first use. */
export function commonPasswordList(): ReadonlySet<string> {
  commonPasswords ??= new Set(
    readFileSync(new URL('../assets/common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return commonPasswords;
}

/** Returns the reason a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | null {
  // Count code points, not UTF-16 units, so the limit means what a user would expect.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (commonPasswordList().has(lower)) return 'is too common; choose a less predictable password';
  if (email !== undefined) {
    const mail = email.trim().toLowerCase();
    const local = mail.split('@')[0] ?? '';
    if (lower === mail || (local.length >= PASSWORD_MIN_LENGTH && lower === local)) {
      return 'must not be your e-mail address';
    }
  }
  return null;
}

export class PasswordHasher {
  readonly params: Argon2Params;
  private dummy: Promise<string> | undefined;

  constructor(params: Argon2Params = PRODUCTION_ARGON2) {
    this.params = { ...params };
  }

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID, ...this.params });
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /**
   * Spends the same work as a real verification when the account does not exist, so response time does
   * not tell an attacker which e-mail addresses have accounts.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash('origo-dummy-password-for-timing');
    await this.verify(await this.dummy, password);
    return false;
  }
}
