// REST history for signed-in users, decided by the real control service: members of the meeting's
// organization read it (also after the meeting), outsiders do not; the meeting's host deletes anyone's
// message, a member only their own.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createAccessTokenVerifier } from '@origo/auth/client';
import {
  createControlService,
  createPrincipalResolver,
  openControlDatabase,
  type ControlDatabase,
  type ControlService,
} from '@origo/control';
import { createLogger, generateEd25519Jwk } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import {
  controlMeetingLookup,
  createCallerResolver,
  createChatService,
  openChatDatabase,
  type ChatDatabase,
  type ChatService,
} from '../src/index.js';
import { joinTokenIssuer } from '@origo/control/testing';

interface User {
  userId: string;
  email: string;
  name: string;
  orgs: Record<string, 'admin' | 'host' | 'member'>;
}

const user = (name: string, orgs: User['orgs']): User => ({
  userId: `usr_${randomBytes(8).toString('hex')}`,
  email: `${name.toLowerCase()}@example.com`,
  name,
  orgs,
});

/** Signs access tokens the way auth does; the verifier is auth's own. */
async function accessTokens() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const verifier = createAccessTokenVerifier({
    keySource: async () => ({ keys: [jwk] }),
    issuer: 'origo',
    audience: 'origo',
  });
  const sign = (u: User) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sid: `ses_${randomUUID()}`, email: u.email, name: u.name, ev: true, orgs: u.orgs })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setIssuer('origo')
      .setAudience('origo')
      .setSubject(u.userId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .setJti(randomUUID())
      .sign(privateKey as CryptoKey);
  };
  return { verifier, sign };
}

describe('chat history for signed-in users, as control decides', () => {
  const host = user('Hedy', { org_chat: 'host' });
  const member = user('Mo', { org_chat: 'member' });
  const outsider = user('Otto', { org_other: 'admin' });
  let tokens: Awaited<ReturnType<typeof accessTokens>>;
  let controlDb: ControlDatabase;
  let control: ControlService;
  let busKv: BusKv;
  let controlUrl: string;
  let chatDb: ChatDatabase;
  let chat: ChatService;
  let chatUrl: string;

  beforeAll(async () => {
    tokens = await accessTokens();
    const resolvePrincipal = createPrincipalResolver({ verifier: tokens.verifier });
    controlDb = await openControlDatabase({ dataDir: 'memory://' });
    busKv = await createBusKv({});
    control = await createControlService({
      database: controlDb,
      busKv,
      joinTokenKey: generateEd25519Jwk(),
      resolvePrincipal,
      settings: { publicUrl: 'https://origo.test' },
      logger: createLogger({ service: 'control', level: 'silent' }),
    });
    controlUrl = (await control.listen({ httpPort: 0, grpcPort: 0 })).http;
    chatDb = await openChatDatabase({ dataDir: 'memory://' });
    chat = await createChatService({
      database: chatDb,
      resolveCaller: createCallerResolver({
        joinTokenKeys: (await joinTokenIssuer()).keys,
        resolvePrincipal,
        meetingLookup: controlMeetingLookup(() => Promise.resolve(controlUrl)),
      }),
    });
    chatUrl = (await chat.listen()).http;
  });
  afterAll(async () => {
    await chat?.close();
    await chatDb?.close();
    await control?.close();
    await busKv?.close();
    await controlDb?.close();
  });

  it('lets org members read, keeps outsiders out, and gives the meeting host delete rights', async () => {
    const created = await fetch(`${controlUrl}/api/meetings`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await tokens.sign(host)}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ org_id: 'org_chat', title: 'Chat review', kind: 'instant' }),
    });
    expect(created.status).toBe(201);
    const meetingId = ((await created.json()) as { id: string }).id;
    const fromMember = await chat.store.post({
      meetingId,
      senderIdentity: member.userId,
      senderName: member.name,
      senderSid: '',
      text: 'notes from Mo',
    });
    const fromGuest = await chat.store.post({
      meetingId,
      senderIdentity: 'gst_guest',
      senderName: 'Guest',
      senderSid: '',
      text: 'hi all',
    });

    const call = async (who: User, path = '', method = 'GET') =>
      fetch(`${chatUrl}/api/chat/meetings/${meetingId}/messages${path}`, {
        method,
        headers: { authorization: `Bearer ${await tokens.sign(who)}` },
      });
    const read = await call(member);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { messages: { text: string }[] }).messages.map((m) => m.text)).toEqual([
      'notes from Mo',
      'hi all',
    ]);
    expect((await call(outsider)).status).toBe(403);
    expect((await call(member, `/${fromGuest.id}`, 'DELETE')).status).toBe(403);
    expect((await call(member, `/${fromMember.id}`, 'DELETE')).status).toBe(200);
    const byHost = await call(host, `/${fromGuest.id}`, 'DELETE');
    expect(byHost.status).toBe(200);
    expect(await byHost.json()).toMatchObject({ deleted: true, deleted_by: host.userId });
  });
});
