import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { SYSTEM, created, updated, writeAudit, type Actor, type Db } from './audit.js';
import { seal, unseal } from './crypto.js';
import { signingKeys, type SigningKeyRow } from './db/schema.js';

export type SigningAlg = 'EdDSA' | 'ES256';

export interface JsonWebKeySet {
  keys: JWK[];
}

export interface ActiveSigner {
  kid: string;
  alg: SigningAlg;
  key: CryptoKey;
}

export interface SigningKeyStoreOptions {
  db: Db;
  /** Encrypts private keys at rest; kept outside the database. */
  keyEncryptionKey: string;
  alg: SigningAlg;
  overlapSeconds: number;
  now: () => Date;
  /** How long the active signer is cached per replica; a rotation elsewhere is picked up after it. */
  cacheMs?: number;
  /** Called after this process changed the key set (rotation, retirement). */
  onChange?: () => void;
}

const LOCK = createHash('sha256').update('origo:auth:signing-keys').digest().readBigInt64BE(0).toString();

function newKeyPair(alg: SigningAlg): { publicJwk: JWK; privateJwk: JWK } {
  const { publicKey, privateKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomBytes(12).toString('base64url');
  const meta = { kid, alg, use: 'sig' };
  return {
    publicJwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), ...meta },
    privateJwk: { ...(privateKey.export({ format: 'jwk' }) as JWK), ...meta },
  };
}

function publicView(row: SigningKeyRow): Omit<SigningKeyRow, 'privateJwkEncrypted'> {
  const { privateJwkEncrypted: _secret, ...rest } = row;
  return rest;
}

/**
 * JWT signing keys with rotation. Exactly one key is `active` (signs new tokens). Rotation demotes it to
 * `retiring` with `not_after = now + overlap`: it signs nothing more but stays in the JWKS, so tokens it
 * signed keep verifying until they expire. After `not_after` it becomes `retired` and leaves the JWKS.
 */
export class SigningKeyStore {
  private readonly options: SigningKeyStoreOptions;
  private cached: { signer: ActiveSigner; at: number } | undefined;

  constructor(options: SigningKeyStoreOptions) {
    this.options = options;
  }

  /** Creates the first key when there is none (idempotent across replicas). */
  async ensureActiveKey(actor: Actor = SYSTEM): Promise<void> {
    await this.options.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${LOCK}::bigint)`);
      const [active] = await tx
        .select({ kid: signingKeys.kid })
        .from(signingKeys)
        .where(eq(signingKeys.state, 'active'));
      if (active === undefined) await this.insertKey(tx, actor);
    });
  }

  /** Makes a new active key; the previous one keeps verifying for the overlap period. */
  async rotate(actor: Actor = SYSTEM): Promise<{ kid: string; previousKid: string | null }> {
    const result = await this.options.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${LOCK}::bigint)`);
      const now = this.options.now();
      await this.retireExpiredIn(tx, actor, now);
      const [previous] = await tx.select().from(signingKeys).where(eq(signingKeys.state, 'active'));
      if (previous !== undefined) {
        const [after] = await tx
          .update(signingKeys)
          .set({
            state: 'retiring',
            notAfter: new Date(now.getTime() + this.options.overlapSeconds * 1000),
            ...updated(actor, now),
          })
          .where(eq(signingKeys.kid, previous.kid))
          .returning();
        await writeAudit(tx, actor, {
          action: 'signing_key.retire_begin',
          entity: 'signing_key',
          entityId: previous.kid,
          before: publicView(previous),
          after: after === undefined ? null : publicView(after),
        });
      }
      const kid = await this.insertKey(tx, actor);
      return { kid, previousKid: previous?.kid ?? null };
    });
    this.cached = undefined;
    this.options.onChange?.();
    return result;
  }

  /** Moves retiring keys past their overlap to `retired`. */
  async retireExpired(actor: Actor = SYSTEM): Promise<number> {
    const count = await this.options.db.transaction(async (tx) =>
      this.retireExpiredIn(tx, actor, this.options.now()),
    );
    if (count > 0) this.options.onChange?.();
    return count;
  }

  /** The key new tokens are signed with. */
  async activeSigner(): Promise<ActiveSigner> {
    const cacheMs = this.options.cacheMs ?? 10_000;
    if (this.cached !== undefined && Date.now() - this.cached.at < cacheMs) return this.cached.signer;
    let [row] = await this.options.db.select().from(signingKeys).where(eq(signingKeys.state, 'active'));
    if (row === undefined) {
      await this.ensureActiveKey();
      [row] = await this.options.db.select().from(signingKeys).where(eq(signingKeys.state, 'active'));
    }
    if (row === undefined) throw new Error('no active signing key');
    const jwk = JSON.parse(unseal(this.options.keyEncryptionKey, row.privateJwkEncrypted, row.kid)) as JWK;
    const alg = row.alg as SigningAlg;
    const key = (await importJWK(jwk, alg)) as CryptoKey;
    const signer: ActiveSigner = { kid: row.kid, alg, key };
    this.cached = { signer, at: Date.now() };
    return signer;
  }

  /** Public keys of the active and retiring keys: the JWKS document. */
  async verificationKeys(): Promise<JsonWebKeySet> {
    const now = this.options.now();
    const rows = await this.options.db
      .select()
      .from(signingKeys)
      .where(inArray(signingKeys.state, ['active', 'retiring']));
    const keys = rows
      .filter((row) => row.state === 'active' || (row.notAfter !== null && row.notAfter > now))
      .sort((a, b) =>
        a.state === b.state ? b.createdAt.getTime() - a.createdAt.getTime() : a.state === 'active' ? -1 : 1,
      )
      .map((row) => row.publicJwk as JWK);
    return { keys };
  }

  /** Every key with its state, for the admin view (no private material). */
  async list(): Promise<Array<Omit<SigningKeyRow, 'privateJwkEncrypted'>>> {
    const rows = await this.options.db.select().from(signingKeys);
    return rows.map(publicView).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  /** Age of the active key in ms, or null when there is none. */
  async activeKeyAgeMs(): Promise<number | null> {
    const [row] = await this.options.db
      .select({ createdAt: signingKeys.createdAt })
      .from(signingKeys)
      .where(eq(signingKeys.state, 'active'));
    return row === undefined ? null : this.options.now().getTime() - row.createdAt.getTime();
  }

  private async insertKey(tx: Db, actor: Actor): Promise<string> {
    const { publicJwk, privateJwk } = newKeyPair(this.options.alg);
    const kid = publicJwk.kid as string;
    const [row] = await tx
      .insert(signingKeys)
      .values({
        kid,
        alg: this.options.alg,
        publicJwk: publicJwk as Record<string, unknown>,
        privateJwkEncrypted: seal(this.options.keyEncryptionKey, JSON.stringify(privateJwk), kid),
        state: 'active',
        notAfter: null,
        ...created(actor, this.options.now()),
      })
      .returning();
    await writeAudit(tx, actor, {
      action: 'signing_key.create',
      entity: 'signing_key',
      entityId: kid,
      after: row === undefined ? null : publicView(row),
    });
    return kid;
  }

  private async retireExpiredIn(tx: Db, actor: Actor, now: Date): Promise<number> {
    const expired = await tx
      .select()
      .from(signingKeys)
      .where(and(eq(signingKeys.state, 'retiring'), lte(signingKeys.notAfter, now)));
    for (const before of expired) {
      const [after] = await tx
        .update(signingKeys)
        .set({ state: 'retired', ...updated(actor, now) })
        .where(eq(signingKeys.kid, before.kid))
        .returning();
      await writeAudit(tx, actor, {
        action: 'signing_key.retire',
        entity: 'signing_key',
        entityId: before.kid,
        before: publicView(before),
        after: after === undefined ? null : publicView(after),
      });
    }
    return expired.length;
  }
}
