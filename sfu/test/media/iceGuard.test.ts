// Issue 11 finding 6: ICE Binding requests are authenticated before the SFU acts on them. Forged requests
// (wrong MESSAGE-INTEGRITY, unknown ufrag, none at all) sent to a live peer's ICE port get no response,
// trigger no check back and create no candidate pair, and their ICE-CONTROLLING attribute does not flip
// the SFU's role; a correctly signed request still gets its Binding success.
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/media/index.js';
import type { WeriftPublisherTransport } from '../../src/media/WeriftTransport.js';
import { iceGuardStats } from '../../src/media/WeriftIceGuard.js';
import { waitFor, WrtcClient } from './wrtcClient.js';

const MAGIC = 0x2112a442;
let router: Router | undefined;
const clients: WrtcClient[] = [];
const sockets: Socket[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sockets.splice(0)) s.close();
  router?.close();
  router = undefined;
});

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc(pad)]);
}

/** A STUN Binding request (RFC 8489) with USERNAME, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY, FINGERPRINT. */
function bindingRequest(username: string, password: string | null, txid: Buffer): Buffer {
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e7f1eff, 0);
  let body = Buffer.concat([
    attr(0x0006, Buffer.from(username, 'utf8')),
    attr(0x0024, priority),
    attr(0x802a, randomBytes(8)),
  ]);
  const header = (extra: number): Buffer => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(body.length + extra, 2);
    h.writeUInt32BE(MAGIC, 4);
    txid.copy(h, 8);
    return h;
  };
  if (password !== null) {
    const mac = createHmac('sha1', password)
      .update(Buffer.concat([header(24), body]))
      .digest();
    body = Buffer.concat([body, attr(0x0008, mac)]);
  }
  const crc = (crc32(Buffer.concat([header(8), body])) ^ 0x5354554e) >>> 0;
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE(crc, 0);
  body = Buffer.concat([body, attr(0x8028, fp)]);
  return Buffer.concat([header(0), body]);
}

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

describe('ICE connectivity checks are authenticated', () => {
  it('drops forged Binding requests during a live room and still answers a signed one', async () => {
    router = new Router();
    const alice = new WrtcClient('alice');
    clients.push(alice);
    const peer = await alice.join(router);
    await waitFor(() => peer.publisher.connectionState === 'connected', 30_000, 'alice connected');
    const pc = (peer.publisher as WeriftPublisherTransport).pc;
    const sdp = pc.localDescription!.sdp;
    const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp)![1]!;
    const pwd = /a=ice-pwd:(\S+)/.exec(sdp)![1]!;
    const port = Number(/a=candidate:\S+ 1 udp \d+ \S+ (\d+) typ host/.exec(sdp)![1]);
    const connection = (
      pc as unknown as {
        iceTransports: {
          connection: { iceControlling: boolean; checkList: { remoteCandidate: { port: number } }[] };
        }[];
      }
    ).iceTransports[0]!.connection;
    const roleBefore = connection.iceControlling;
    const pairsBefore = connection.checkList.length;

    const attacker = await udp();
    const answered: string[] = [];
    attacker.on('message', (m) => answered.push(m.subarray(8, 20).toString('hex')));
    const droppedBefore = iceGuardStats.dropped;
    const forged = [
      ...Array.from({ length: 20 }, () =>
        bindingRequest(`${ufrag}:evil`, 'not the password', randomBytes(12)),
      ),
      ...Array.from({ length: 10 }, () =>
        bindingRequest(`${randomBytes(4).toString('hex')}:evil`, pwd, randomBytes(12)),
      ),
      ...Array.from({ length: 10 }, () => bindingRequest(`${ufrag}:evil`, null, randomBytes(12))),
    ];
    for (const m of forged) attacker.send(m, port, '127.0.0.1');

    // A signed request from another socket: its answer proves the forged ones were processed before it.
    const honest = await udp();
    const txid = randomBytes(12);
    const reply = new Promise<Buffer>((resolve) => honest.once('message', resolve));
    await waitFor(
      () => iceGuardStats.dropped >= droppedBefore + forged.length,
      10_000,
      'forged requests seen',
    );
    honest.send(bindingRequest(`${ufrag}:honest`, pwd, txid), port, '127.0.0.1');
    const success = await reply;
    expect(success.readUInt16BE(0)).toBe(0x0101);
    expect(success.subarray(8, 20).equals(txid)).toBe(true);

    // Every forged request was processed before the signed one (one socket, in order) and none answered.
    expect(answered).toEqual([]);
    expect(iceGuardStats.dropped).toBeGreaterThanOrEqual(droppedBefore + forged.length);
    expect(connection.iceControlling).toBe(roleBefore);
    const attackerPort = (attacker.address() as { port: number }).port;
    expect(connection.checkList.filter((p) => p.remoteCandidate.port === attackerPort)).toEqual([]);
    expect(connection.checkList.length).toBeGreaterThanOrEqual(pairsBefore);
    // The room is unaffected.
    expect(peer.publisher.connectionState).toBe('connected');
  });
});
