// Issue 3 acceptance through the real path: WebSocket clients -> signaling (uWS) -> gRPC -> a forked
// SFU worker process (werift) <- libwebrtc peers. Three peers publish simulcast VP8 and Opus and decode
// each other; a dropped socket resumes without renegotiation; leaving and killed peers are announced;
// when everyone is gone the SFU holds no peer, producer or consumer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, unary } from '@origo/kit';
import { waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { SignalClient, type Json } from './helpers/client.js';
import { forkedSfu, startStack, type Stack } from './helpers/harness.js';
import { MediaPeer } from './helpers/mediaPeer.js';
import { transportsUnderTest } from './helpers/transports.js';

const DEADLINE = 45_000;
let stack: Stack;
let sfu: Awaited<ReturnType<typeof forkedSfu>>;
let peers: MediaPeer[] = [];
let sockets: SignalClient[] = [];

async function socket(): Promise<SignalClient> {
  const s = await SignalClient.open(stack.nodes[0]!.wsUrl);
  sockets.push(s);
  return s;
}

/** Waits until `p` decodes video and audio of `other`; on timeout the error says what was going on. */
async function decodes(p: MediaPeer, other: MediaPeer, frames = 10, chunks = 20): Promise<void> {
  try {
    await waitFor(
      () => p.media(other.sid).videoFrames >= frames && p.media(other.sid).audioChunks >= chunks,
      {
        timeoutMs: DEADLINE,
        what: `${p.sid} decoding ${other.sid}`,
      },
    );
  } catch (err) {
    const metrics = await (await fetch(sfu.role.endpoints['metrics']!.split(',')[0]!)).text();
    throw new Error(
      `${String(err)}; ${p.describe(other)}\n` +
        metrics
          .split('\n')
          .filter((l) => l.startsWith('origo_sfu_'))
          .join('\n'),
    );
  }
}

async function participant(identity: string): Promise<MediaPeer> {
  const p = new MediaPeer(await socket());
  peers.push(p);
  await p.join(await stack.token(identity, { room: 'media-room' }));
  return p;
}

describe.each(transportsUnderTest())(
  'three real peers through signaling and a forked SFU worker on %s',
  (transport) => {
    beforeAll(async () => {
      sfu = await forkedSfu(1, { SFU_TRANSPORT: transport });
      stack = await startStack({ sfu, config: { SIGNAL_RESUME_GRACE_MS: 2000, ROOM_EMPTY_GRACE_MS: 300 } });
    });

    afterAll(async () => {
      for (const p of peers) p.close();
      for (const s of sockets) s.close();
      peers = [];
      sockets = [];
      await stack?.close();
      await sfu?.stop();
    });

    it('decode each other, resume after a dropped socket, and leave no SFU state behind', async () => {
      const alice = await participant('alice');
      await alice.publish();
      const bob = await participant('bob');
      await bob.publish();
      const carol = await participant('carol');
      const carolJoinAt = carol.joinStartedAt;
      await carol.publish();
      const all = [alice, bob, carol];

      for (const p of all) {
        for (const other of all.filter((o) => o !== p)) await decodes(p, other);
      }
      const firstFrame = Math.min(...[alice, bob].map((o) => carol.media(o.sid).firstFrameAt));
      const joinToFirstFrameMs = Math.round(firstFrame - carolJoinAt);
      console.log(`join-to-first-decoded-frame (carol, third to join): ${joinToFirstFrameMs} ms`);
      expect(joinToFirstFrameMs).toBeGreaterThan(0);
      for (const p of all) expect(p.errors).toEqual([]);

      // Carol's socket drops (no close handshake); she resumes on a new socket without renegotiating.
      const offersBefore = carol.signal.received.filter((m) => 'subscriberOffer' in m).length;
      carol.signal.kill();
      const fresh = await socket();
      const resumed = await fresh.request({
        join: {
          token: await stack.token('carol', { room: 'media-room' }),
          resume: { sessionId: carol.sessionId, resumeSecret: carol.resumeSecret },
        },
      });
      expect(resumed).toHaveProperty('resumed');
      expect(((resumed['resumed'] as Json)['participant'] as Json)['sid']).toBe(carol.sid);
      // The reply lists the whole room with its live tracks, so the client keeps what it receives.
      const listed = (resumed['resumed'] as Json)['otherParticipants'] as Json[];
      expect(listed.map((p) => p['sid']).sort()).toEqual([alice.sid, bob.sid].sort());
      for (const p of listed) expect((p['tracks'] as Json[]).length).toBe(2);
      carol.rebind(fresh);
      const framesAtResume = carol.media(alice.sid).videoFrames;
      const aliceFromCarol = alice.media(carol.sid).videoFrames;
      await waitFor(
        () =>
          carol.media(alice.sid).videoFrames >= framesAtResume + 30 &&
          alice.media(carol.sid).videoFrames >= aliceFromCarol + 30,
        {
          timeoutMs: DEADLINE,
          what: 'media keeps flowing after resume',
        },
      );
      expect(fresh.received.filter((m) => 'subscriberOffer' in m).length + offersBefore).toBe(offersBefore);
      // Nobody saw carol leave.
      for (const p of [alice, bob])
        expect(
          p.signal.received.some(
            (m) => (m['participantLeft'] as Json | undefined)?.['participantSid'] === carol.sid,
          ),
        ).toBe(false);
      // The old secret is spent.
      const replay = await (
        await socket()
      ).request({
        join: {
          token: await stack.token('carol', { room: 'media-room' }),
          resume: { sessionId: carol.sessionId, resumeSecret: carol.resumeSecret },
        },
      });
      expect((replay['error'] as Json)['code']).toBe('ERROR_CODE_RESUME_FAILED');

      // Bob leaves on purpose: the others hear it at once.
      bob.signal.send({ leave: {} });
      for (const p of [alice, carol]) {
        const left = await p.signal.next(
          (m) => (m['participantLeft'] as Json | undefined)?.['participantSid'] === bob.sid,
          DEADLINE,
          'bob left',
        );
        expect((left['participantLeft'] as Json)['reason']).toBe('DISCONNECT_REASON_CLIENT_LEFT');
      }
      bob.close();

      // Alice's socket is killed and she never comes back: carol hears it after the resume grace.
      alice.signal.kill();
      const aliceLeft = await carol.signal.next(
        (m) => (m['participantLeft'] as Json | undefined)?.['participantSid'] === alice.sid,
        DEADLINE,
        'alice lost',
      );
      expect((aliceLeft['participantLeft'] as Json)['reason']).toBe('DISCONNECT_REASON_CONNECTION_LOST');
      alice.close();

      carol.signal.send({ leave: {} });
      await carol.signal.closed;
      carol.close();

      const address = sfu.addresses()[0]!;
      const client = createGrpcClient(SfuServiceClient, address);
      try {
        await waitFor(
          async () => {
            const load = await unary(client.getLoad.bind(client), {});
            const w = load.workers[0];
            return (
              w !== undefined &&
              w.peerCount === 0 &&
              w.producerCount === 0 &&
              w.consumerCount === 0 &&
              w.routerCount === 0
            );
          },
          { timeoutMs: DEADLINE, what: 'SFU counts back to zero' },
        );
        const stats = await unary(client.getStats.bind(client), {});
        expect(stats.routers).toEqual([]);
      } finally {
        client.close();
      }
    });

    it('a viewer joining a live room decodes its first frame (join-to-first-decoded-frame)', async () => {
      const presenter = new MediaPeer(await socket());
      peers.push(presenter);
      await presenter.join(await stack.token('presenter', { room: 'latency-room' }));
      await presenter.publish();
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        const viewer = new MediaPeer(await socket());
        peers.push(viewer);
        await viewer.join(
          await stack.token(`viewer-${i}`, {
            room: 'latency-room',
            grants: { publish: false, subscribe: true, host: false },
          }),
        );
        await decodes(viewer, presenter, 1, 0);
        samples.push(Math.round(viewer.media(presenter.sid).firstFrameAt - viewer.joinStartedAt));
        viewer.signal.send({ leave: {} });
        await viewer.signal.closed;
        viewer.close();
      }
      console.log(
        `join-to-first-decoded-frame (viewer of a live simulcast publisher): ${samples.join(', ')} ms`,
      );
      expect(samples.every((ms) => ms > 0)).toBe(true);
    });
  },
);
