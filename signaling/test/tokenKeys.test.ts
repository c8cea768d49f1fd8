// Signaling verifies join tokens with the public keys control serves, never with a private key of its
// own: the JWKS is fetched over HTTP, a rotated-in key is picked up by the first token that carries it,
// and a signaling role without control beside it refuses to start without JOIN_TOKEN_JWKS_URL.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressBook, ConfigError, createLogger, generateEd25519Jwk, SecretStore } from '@origo/kit';
import { JOIN_TOKEN_JWKS_PATH } from '@origo/control/contracts';
import {
  createJoinTokenVerifier,
  JoinTokenError,
  publicJwk,
  remoteKeySource,
  signalingRole,
  signJoinToken,
} from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A JWKS endpoint like control's, serving whatever keys the test puts in `keys`. */
interface JwksServer {
  url: string;
  keys: string[];
  /** While true the server answers 503, like a control that is still starting. */
  down: boolean;
}

async function jwksServer(keys: string[]): Promise<JwksServer> {
  const state = { keys, down: false };
  const server: Server = createServer((req, res) => {
    if (req.url !== JOIN_TOKEN_JWKS_PATH) return void res.writeHead(404).end();
    if (state.down) return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: keys.map((k) => publicJwk(k)) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: `http://127.0.0.1:${port}${JOIN_TOKEN_JWKS_PATH}` });
}

async function eventually<T>(attempt: () => Promise<T>, deadlineMs = 20_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

const reasonOf = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof JoinTokenError ? e.reason : String(e)),
  );

describe('join-token keys from control', () => {
  it('verifies with the served public keys and picks up a rotated-in key without a restart', async () => {
    const first = generateEd25519Jwk();
    const served = await jwksServer([first]);
    const verifier = createJoinTokenVerifier({ keys: remoteKeySource(async () => served.url) });

    const before = await signJoinToken({ privateJwk: first, identity: 'ada', room: 'r' });
    await expect(verifier.verify(before)).resolves.toMatchObject({ identity: 'ada' });

    // A key nobody published is refused.
    const stranger = await signJoinToken({ privateJwk: generateEd25519Jwk(), identity: 'eve', room: 'r' });
    expect(await reasonOf(verifier.verify(stranger))).toBe('bad_signature');

    // Control rotates: the new key signs, the old one is still served as the previous key.
    const second = generateEd25519Jwk();
    served.keys.splice(0, served.keys.length, second, first);
    const after = await signJoinToken({ privateJwk: second, identity: 'bob', room: 'r' });
    await expect(eventually(() => verifier.verify(after))).resolves.toMatchObject({ identity: 'bob' });
    await expect(verifier.verify(before)).resolves.toMatchObject({ identity: 'ada' });
  });

  it('refuses a token that control did not issue', async () => {
    const key = generateEd25519Jwk();
    const served = await jwksServer([key]);
    const verifier = createJoinTokenVerifier({ keys: remoteKeySource(served.url) });
    const foreignIssuer = await signJoinToken({
      privateJwk: key,
      identity: 'a',
      room: 'r',
      issuer: 'someone',
    });
    expect(await reasonOf(verifier.verify(foreignIssuer))).toBe('bad_issuer');
  });

  it('says the keys are unavailable (retry) while control cannot serve them, and recovers when it can', async () => {
    const key = generateEd25519Jwk();
    const served = await jwksServer([key]);
    served.down = true;
    const verifier = createJoinTokenVerifier({ keys: remoteKeySource(served.url) });
    const token = await signJoinToken({ privateJwk: key, identity: 'a', room: 'r' });
    expect(await reasonOf(verifier.verify(token))).toBe('keys_unavailable');
    served.down = false;
    await expect(eventually(() => verifier.verify(token))).resolves.toMatchObject({ identity: 'a' });
  });

  it('says the keys are unavailable when nothing listens at the address', async () => {
    const served = await jwksServer([generateEd25519Jwk()]);
    const port = new URL(served.url).port;
    await Promise.all(cleanups.splice(0).map((c) => c()));
    const verifier = createJoinTokenVerifier({
      keys: remoteKeySource(`http://127.0.0.1:${port}${JOIN_TOKEN_JWKS_PATH}`),
    });
    const token = await signJoinToken({ privateJwk: generateEd25519Jwk(), identity: 'a', room: 'r' });
    expect(await reasonOf(verifier.verify(token))).toBe('keys_unavailable');
  });
});

describe('the signaling role', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });

  it('refuses to start on its own without JOIN_TOKEN_JWKS_URL, naming the variable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'origo-sig-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const start = signalingRole.start({
      common: { ORIGO_DATA: dataDir, LOG_LEVEL: 'silent' },
      env: { SIGNALING_PORT: '0' },
      allInOne: false,
      addresses: new AddressBook(),
      secrets: new SecretStore(dataDir, {}),
      logger,
    });
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    await expect(start).rejects.toThrow('JOIN_TOKEN_JWKS_URL');
  });

  it('starts with JOIN_TOKEN_JWKS_URL and writes no join-token key of its own', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'origo-sig-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const served = await jwksServer([generateEd25519Jwk()]);
    const role = await signalingRole.start({
      common: { ORIGO_DATA: dataDir, LOG_LEVEL: 'silent' },
      env: { SIGNALING_PORT: '0', JOIN_TOKEN_JWKS_URL: served.url, SFU_ADDRESSES: '127.0.0.1:1' },
      allInOne: false,
      addresses: new AddressBook(),
      secrets: new SecretStore(dataDir, {}),
      logger,
    });
    cleanups.push(() => role.stop());
    let secrets: string[] = [];
    try {
      secrets = readdirSync(join(dataDir, 'secrets'));
    } catch {
      // No secrets directory at all: nothing written.
    }
    expect(secrets.filter((name) => name.startsWith('join-token-key'))).toEqual([]);
  });
});
