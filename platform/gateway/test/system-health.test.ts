// The superadmin's system health view: every role's readiness as the role itself reports it, and the load
// of the SFU workers, asked through the gateway. Auth is the real service (it decides who is superadmin),
// the SFU a real worker; the other roles are kit HTTP services with their own readiness checks.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService, type AuthService } from '@origo/auth';
import { SESSION_COOKIE } from '@origo/auth/client';
import {
  createGrpcClient,
  createHttpService,
  createLogger,
  createMetrics,
  unary,
  type HttpService,
} from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { freePort } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { createSfuWorkerService, type SfuWorkerService } from '@origo/sfu';
import { createGateway, type Gateway } from '../src/index.js';

const silent = createLogger({ service: 'test', level: 'silent' });

/** A kit HTTP service whose readiness has one check, failing with `failure` when given. */
async function role(name: string, failure?: string): Promise<{ url: string; service: HttpService }> {
  const service = createHttpService({
    service: name,
    logger: silent,
    metrics: createMetrics(name, { defaultMetrics: false }),
    readiness: [
      {
        name: 'database',
        check: async () => {
          if (failure !== undefined) throw new Error(failure);
        },
      },
    ],
  });
  const { url } = await service.listen(0);
  return { url, service };
}

interface Health {
  roles: Array<{ role: string; status: string; checks: Record<string, string>; error: string | null }>;
  sfu: Array<{
    address: string;
    node_id: string | null;
    error: string | null;
    workers: Array<{
      worker_id: string;
      routers: number;
      peers: number;
      cpu_load: number;
      draining: boolean;
    }>;
  }>;
}

describe('system health through the gateway', () => {
  let auth: AuthService;
  let authUrl: string;
  let others: Array<{ url: string; service: HttpService }>;
  let sfu: SfuWorkerService;
  let sfuAddress: string;
  let deadSfu: string;
  let busKv: BusKv;
  let gateway: Gateway;
  let url: string;
  let rootCookie = '';
  let memberCookie = '';

  const signUp = async (email: string): Promise<string> => {
    const res = await fetch(`${url}/api/auth/sign-up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct horse battery staple', displayName: email }),
    });
    expect(res.status).toBe(201);
    const cookie = res.headers
      .getSetCookie()
      .map((line) => new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(line)?.[1])
      .find((v) => v !== undefined);
    if (cookie === undefined) throw new Error('sign-up set no session cookie');
    return `${SESSION_COOKIE}=${cookie}`;
  };
  const health = (cookie?: string) =>
    fetch(`${url}/api/admin/system-health`, { headers: cookie === undefined ? {} : { cookie } });

  beforeAll(async () => {
    auth = await createAuthService({
      database: { dataDir: 'memory://' },
      keyEncryptionKey: 'test-key-encryption-key-0123456789abcdef',
      argon2: { memoryCost: 256, timeCost: 1, parallelism: 1 },
      settings: { cookieSecure: false, publicUrl: 'http://origo.test' },
    });
    authUrl = (await auth.listen(0)).url;
    others = await Promise.all([
      role('control', 'connection refused by the database'),
      role('notification'),
      role('chat'),
      role('recording'),
      role('billing'),
    ]);
    sfu = createSfuWorkerService({
      workerId: 'health-w0',
      nodeId: 'health-node',
      logger: silent,
      router: { transport: 'ndc' },
    });
    sfuAddress = (await sfu.listen()).grpcAddress;
    const client = createGrpcClient(SfuServiceClient, sfuAddress);
    await unary(client.createRouter.bind(client), { roomId: 'mtg_health_room' });
    client.close();
    deadSfu = `127.0.0.1:${await freePort()}`;
    const signalingPort = await freePort();
    busKv = await createBusKv({ namespace: `gwhealth${randomBytes(4).toString('hex')}:` });
    const [control, notification, chat, recording, billing] = others.map((o) => o.url);
    gateway = createGateway({
      upstreams: {
        auth: authUrl,
        control: control as string,
        // Nothing listens there: signaling is down.
        signaling: `ws://127.0.0.1:${signalingPort}/ws`,
        notification: notification as string,
        chat: chat as string,
        recording: recording as string,
        billing: billing as string,
      },
      sfuWorkers: async () => [sfuAddress, deadSfu],
      kv: busKv.kv,
      logger: silent,
    });
    url = (await gateway.listen(0, '127.0.0.1')).url;
    rootCookie = await signUp(`root.${randomBytes(3).toString('hex')}@example.com`); // first: superadmin
    memberCookie = await signUp(`someone.${randomBytes(3).toString('hex')}@example.com`);
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all((others ?? []).map((o) => o.service.close()));
    await sfu?.stop();
    await auth?.close();
    await busKv?.close();
  });

  it("shows the superadmin each role's readiness with its checks, and the SFU workers' load", async () => {
    const res = await health(rootCookie);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Health;
    const byRole = Object.fromEntries(body.roles.map((r) => [r.role, r]));
    expect(Object.keys(byRole).sort()).toEqual(
      ['auth', 'billing', 'chat', 'control', 'notification', 'recording', 'signaling'].sort(),
    );
    expect(byRole['auth']).toMatchObject({ status: 'ready', checks: { database: 'ok' }, error: null });
    expect(byRole['billing']?.status).toBe('ready');
    expect(byRole['control']).toMatchObject({
      status: 'not_ready',
      checks: { database: 'connection refused by the database' },
      error: 'answered HTTP 503',
    });
    expect(byRole['signaling']?.status).toBe('unreachable');
    expect(byRole['signaling']?.error).not.toBeNull();

    const live = body.sfu.find((n) => n.address === sfuAddress);
    expect(live).toMatchObject({ node_id: 'health-node', error: null });
    expect(live?.workers).toEqual([
      expect.objectContaining({ worker_id: 'health-w0', routers: 1, peers: 0, draining: false }),
    ]);
    const dead = body.sfu.find((n) => n.address === deadSfu);
    expect(dead?.workers).toEqual([]);
    expect(dead?.error).not.toBeNull();
  });

  it('refuses anyone but the superadmin with a problem document', async () => {
    const anonymous = await health();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');

    const member = await health(memberCookie);
    expect(member.status).toBe(403);
    expect(member.headers.get('content-type')).toContain('application/problem+json');
    expect(((await member.json()) as { reason?: string }).reason).toBe('missing_permission');

    const forged = await health(`${SESSION_COOKIE}=not-a-session`);
    expect(forged.status).toBe(401);
  });
});
