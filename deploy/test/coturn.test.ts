// deploy/coturn proven with Debian's turnserver and our TURN client: what it relays and what it refuses.
// Nothing leaves the machine: permissions for 10.0.0.0/8 and 169.254.169.254 are only asked for (no
// data is ever sent there), and the allowed peer is this host's own eth0 address when it has one.
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TurnClient, TurnError } from '../src/turn/client.js';
import { restCredentials } from '../src/turn/credentials.js';
import { probeTurn } from '../src/turn/probe.js';
import { startCoturn, type Coturn } from '../src/turn/coturn.js';
import { missingTools } from './lib/tools.js';

const skip = missingTools('turnserver', 'openssl');

/** A non-loopback, non-private IPv4 address of this host to stand in for a public peer. */
function publicLocalAddress(): string | undefined {
  const privateOrInternal =
    /^(10\.|127\.|169\.254\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/;
  for (const list of Object.values(networkInterfaces()))
    for (const info of list ?? [])
      if (info.family === 'IPv4' && !info.internal && !privateOrInternal.test(info.address))
        return info.address;
  return undefined;
}

async function udpListener(address: string): Promise<{ socket: Socket; port: number; received: Buffer[] }> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const received: Buffer[] = [];
  socket.on('message', (msg) => received.push(msg));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve());
  });
  return { socket, port: socket.address().port, received };
}

function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe.skipIf(skip !== undefined)('coturn with deploy/coturn/turnserver.conf', () => {
  let coturn: Coturn;
  // Clients of the running test; released after each test so the per-user quota never fills up.
  let clients: TurnClient[] = [];
  let serial = 0;

  beforeAll(async () => {
    coturn = await startCoturn();
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  async function client(
    options: { secret?: string; server?: string; relayFamily?: 'IPv4' | 'IPv6'; ttl?: number } = {},
  ) {
    const { username, password } = restCredentials(
      options.secret ?? coturn.secrets.current,
      `test-user-${++serial}`,
      options.ttl ?? 600,
    );
    const c = await TurnClient.open({
      server: { address: options.server ?? '127.0.0.1', port: coturn.port },
      username,
      password,
      ...(options.relayFamily ? { relayFamily: options.relayFamily } : {}),
    });
    clients.push(c);
    return c;
  }

  async function refusal(c: TurnClient, peer: string): Promise<number> {
    try {
      await c.createPermission(peer);
      return 0;
    } catch (err) {
      if (err instanceof TurnError) return err.code;
      throw err;
    }
  }

  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '10.255.255.254',
    '169.254.169.254',
    '172.16.0.1',
    '192.168.1.1',
    '100.64.0.1',
    '0.0.0.0',
  ])('refuses to relay from an IPv4 allocation to %s with 403 Forbidden', async (peer) => {
    const c = await client();
    await c.allocate();
    expect(await refusal(c, peer)).toBe(403);
  });

  it.each([
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::1',
    '::',
    'fd00::2',
    'fe80::1',
    '64:ff9b::a00:1',
  ])('refuses to relay from an IPv6 allocation to %s with 403 Forbidden', async (peer) => {
    const c = await client({ server: '::1', relayFamily: 'IPv6' });
    await c.allocate();
    expect(await refusal(c, peer)).toBe(403);
  });

  it('never delivers data sent toward a refused loopback peer, while an allowed peer gets its data', async (ctx) => {
    const allowed = publicLocalAddress();
    if (allowed === undefined) return ctx.skip();
    const loopback = await udpListener('127.0.0.1');
    const peer = await udpListener(allowed);
    try {
      const c = await client();
      await c.allocate();
      expect(await refusal(c, '127.0.0.1')).toBe(403);
      await c.createPermission(allowed);
      // Sent first toward the refused peer; coturn handles one client's packets in order, so once the
      // allowed peer has its datagram, the refused one would have arrived already had it been relayed.
      c.send({ address: '127.0.0.1', port: loopback.port }, Buffer.from('must-not-arrive'));
      c.send({ address: allowed, port: peer.port }, Buffer.from('hello-peer'));
      const got = await waitFor('the allowed peer to receive', () => peer.received[0]);
      expect(got.toString()).toBe('hello-peer');
      expect(loopback.received).toHaveLength(0);
    } finally {
      loopback.socket.close();
      peer.socket.close();
    }
  });

  it('relays both ways between a client and an allowed peer', async (ctx) => {
    const allowed = publicLocalAddress();
    if (allowed === undefined) return ctx.skip();
    const peer = await udpListener(allowed);
    try {
      const c = await client();
      const allocation = await c.allocate();
      await c.createPermission(allowed);
      const fromPeer: Buffer[] = [];
      c.onData((d) => {
        if (d.peer.address === allowed && d.peer.port === peer.port) fromPeer.push(d.data);
      });
      c.send({ address: allowed, port: peer.port }, Buffer.from('ping'));
      await waitFor('the peer to receive ping', () => peer.received[0]);
      // The peer answers the relayed transport address, as a remote WebRTC endpoint would.
      peer.socket.send(Buffer.from('pong'), allocation.relayed.port, allocation.relayed.address);
      const answer = await waitFor('the client to receive pong', () => fromPeer[0]);
      expect(answer.toString()).toBe('pong');
    } finally {
      peer.socket.close();
    }
  });

  it('accepts credentials signed with the previous, current and next secret during rotation', async () => {
    for (const secret of [coturn.secrets.previous, coturn.secrets.current, coturn.secrets.next]) {
      const c = await client({ secret });
      const allocation = await c.allocate();
      expect(allocation.relayed.port).toBeGreaterThan(0);
    }
  });

  it('refuses credentials signed with a retired secret and expired credentials', async () => {
    const stale = await client({ secret: 'a-secret-retired-last-month-000000' });
    await expect(stale.allocate()).rejects.toMatchObject({ code: 401 });
    const expired = await client({ ttl: -60 });
    await expect(expired.allocate()).rejects.toMatchObject({ code: 401 });
  });

  it('serves TURN over TLS 1.2 or newer with the configured certificate', async () => {
    const protocol = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect(
        { host: '127.0.0.1', port: coturn.tlsPort, ca: coturn.certPem, servername: 'turn.test' },
        () => {
          const p = socket.getProtocol() ?? '';
          socket.end();
          resolve(p);
        },
      );
      socket.once('error', reject);
    });
    expect(['TLSv1.2', 'TLSv1.3']).toContain(protocol);
  });

  it('reports a healthy TURN server through the probe, and a wrong secret as auth_failed', async () => {
    const ok = await probeTurn({
      server: { address: '127.0.0.1', port: coturn.port },
      secret: coturn.secrets.current,
    });
    expect(ok.result).toBe('ok');
    const bad = await probeTurn({
      server: { address: '127.0.0.1', port: coturn.port },
      secret: 'not-the-secret-at-all-000000',
    });
    expect(bad.result).toBe('auth_failed');
    const refused = await probeTurn({
      server: { address: '127.0.0.1', port: coturn.port },
      secret: coturn.secrets.current,
      peer: '169.254.169.254',
    });
    expect(refused.result).toBe('refused');
  });
});
