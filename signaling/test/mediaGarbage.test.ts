// Garbage on the media plane during a live room (issue 11): random bytes, truncated RTP and RTCP, RTCP
// with absurd lengths and malformed STUN, sent as fast as this machine allows (aiming at 10k packets/s)
// to every UDP port the SFU worker offered the peers. The worker must neither crash nor restart, and
// the two libwebrtc peers must keep decoding each other during and after the burst.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { SignalClient, type Json } from './helpers/client.js';
import { forkedSfu, startStack, type Stack } from './helpers/harness.js';
import { MediaPeer } from './helpers/mediaPeer.js';
import { transportsUnderTest } from './helpers/transports.js';

const DEADLINE = 45_000;
const TARGET_RATE = 10_000;
const BURST_MS = 3000;

let stack: Stack | undefined;
let sfu: Awaited<ReturnType<typeof forkedSfu>> | undefined;
let peers: MediaPeer[] = [];

/** One malformed packet of each kind the issue names, in turn. */
function garbage(i: number): Buffer {
  switch (i % 6) {
    case 0:
      return randomBytes(1 + (i % 1200));
    case 1: {
      // RTP version 2, VP8-ish payload type, header cut inside the SSRC.
      const p = randomBytes(2 + (i % 9));
      p[0] = 0x80;
      p[1] = 96;
      return p;
    }
    case 2: {
      // RTP whose CSRC count and extension bit promise more header than the packet has.
      const p = randomBytes(16);
      p[0] = 0x9f;
      p[1] = 0x60;
      return p;
    }
    case 3: {
      // RTCP sender report (PT 200) claiming 65535 words.
      const p = randomBytes(28);
      p[0] = 0x80;
      p[1] = 200 + (i % 7);
      p.writeUInt16BE(0xffff, 2);
      return p;
    }
    case 4: {
      // RTCP compound: a valid-looking receiver report followed by a truncated one.
      const p = randomBytes(14);
      p[0] = 0x81;
      p[1] = 201;
      p.writeUInt16BE(1, 2);
      p[8] = 0x80;
      p[9] = 206;
      return p;
    }
    default: {
      // STUN binding request (magic cookie) whose attribute lengths run past the end.
      const p = Buffer.alloc(20 + 12);
      p.writeUInt16BE(0x0001, 0);
      p.writeUInt16BE(200, 2);
      p.writeUInt32BE(0x2112a442, 4);
      randomBytes(12).copy(p, 8);
      p.writeUInt16BE(0x0006, 20); // USERNAME
      p.writeUInt16BE(0x0400, 22);
      randomBytes(8).copy(p, 24);
      return p;
    }
  }
}

/** host:port of every UDP candidate the SFU sent (in SDP or trickled). */
function sfuUdpTargets(p: MediaPeer): Array<{ host: string; port: number }> {
  const texts = [
    p.pub.remoteDescription?.sdp ?? '',
    p.sub.remoteDescription?.sdp ?? '',
    ...p.signal.received.map((m) => JSON.stringify(m)),
  ];
  const targets = new Map<string, { host: string; port: number }>();
  for (const text of texts) {
    for (const m of text.matchAll(/candidate:\S+ \d+ udp \d+ (\d+\.\d+\.\d+\.\d+) (\d+) typ host/gi)) {
      const host = m[1] ?? '';
      // Only this machine's own addresses: the test never sends to another host.
      if (!isLocalAddress(host)) continue;
      targets.set(`${host}:${m[2]}`, { host, port: Number(m[2]) });
    }
  }
  return [...targets.values()];
}

function isLocalAddress(host: string): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === host));
}

/** Sends garbage in batches every few milliseconds until `ms` have passed; resolves with the count. */
async function spray(socket: Socket, targets: Array<{ host: string; port: number }>, ms: number) {
  let sent = 0;
  const started = Date.now();
  while (Date.now() - started < ms) {
    const due = Math.floor(((Date.now() - started) / 1000) * TARGET_RATE);
    const batch: Array<Promise<void>> = [];
    while (sent < due) {
      const target = targets[sent % targets.length]!;
      const packet = garbage(sent);
      batch.push(new Promise((done) => socket.send(packet, target.port, target.host, () => done())));
      sent += 1;
    }
    await Promise.all(batch);
    await new Promise((done) => setTimeout(done, 5));
  }
  return { sent, seconds: (Date.now() - started) / 1000 };
}

async function participant(identity: string): Promise<MediaPeer> {
  const p = new MediaPeer(await SignalClient.open(stack!.nodes[0]!.wsUrl));
  peers.push(p);
  await p.join(await stack!.token(identity, { room: 'garbage-room' }));
  return p;
}

function decodes(p: MediaPeer, other: MediaPeer, atLeast: number, what: string): Promise<unknown> {
  return waitFor(() => p.media(other.sid).videoFrames >= atLeast, {
    timeoutMs: DEADLINE,
    what,
    // How far it got: no frames at all and frames that stopped are different faults.
    detail: () => ({ received: p.media(other.sid), subscriber: p.sub.connectionState }),
  });
}

describe.each(transportsUnderTest())('garbage at the SFU worker UDP ports on %s', (transport) => {
  beforeAll(async () => {
    sfu = await forkedSfu(1, { SFU_TRANSPORT: transport });
    stack = await startStack({ sfu });
  });

  afterAll(async () => {
    for (const p of peers) p.close();
    for (const p of peers) p.signal.close();
    peers = [];
    await stack?.close();
    await sfu?.stop();
  });

  it('leaves the worker running and the room decoding', async () => {
    const alice = await participant('alice');
    await alice.publish();
    const bob = await participant('bob');
    await bob.publish();
    await decodes(alice, bob, 10, 'alice decoding bob');
    await decodes(bob, alice, 10, 'bob decoding alice');
    const workers = sfu!.addresses();

    const targets = [...sfuUdpTargets(alice), ...sfuUdpTargets(bob)];
    expect(targets.length).toBeGreaterThan(0);
    const socket = createSocket('udp4');
    try {
      const before = alice.media(bob.sid).videoFrames;
      const burst = await spray(socket, targets, BURST_MS);
      console.log(
        `media garbage (${transport}): ${burst.sent} packets in ${burst.seconds.toFixed(1)} s ` +
          `(${Math.round(burst.sent / burst.seconds)}/s) to ${targets.length} SFU ports`,
      );
      // Frames kept coming while the garbage did, and keep coming after it.
      const during = alice.media(bob.sid).videoFrames;
      await decodes(alice, bob, Math.max(during, before) + 30, 'alice decoding bob after the garbage');
      await decodes(
        bob,
        alice,
        bob.media(alice.sid).videoFrames + 30,
        'bob decoding alice after the garbage',
      );
    } finally {
      socket.close();
    }
    // Same worker, same address: it never crashed or restarted.
    expect(sfu!.addresses()).toEqual(workers);
    for (const p of [alice, bob]) expect(p.errors as Json[]).toEqual([]);
  }, 180_000);
});
