// Per-participant byte and packet counters: what each peer sent to the SFU and what the SFU sent to it, the
// parts adding up to the router's totals, retransmissions and feedback counted for the peer that caused them.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FakeSubscriberTransport } from './fakeTransport.js';
import {
  answerNextOffer,
  join,
  publish,
  sendVideo,
  testRoom,
  useRoomTimers,
  type TestRoom,
} from './roomFixtures.js';

let room: TestRoom;

beforeEach(() => {
  useRoomTimers();
  room = testRoom();
});

afterEach(() => {
  room.router.close();
  vi.useRealTimers();
});

/** Payload bytes and packets the fake subscriber connection was given to send. */
function sentOn(sub: FakeSubscriberTransport): { bytes: number; packets: number } {
  let bytes = 0;
  let packets = 0;
  for (const t of sub.current)
    for (const p of t.sent) {
      bytes += p.payload.length;
      packets++;
    }
  return { bytes, packets };
}

describe('PeerCounters', () => {
  it('count what each participant sent and received, adding up to the room', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    const carol = join(room, 'carol');
    for (const m of [bob, carol]) {
      m.peer.subscribe(alice.camId);
      m.peer.subscribe(alice.micId);
    }
    await answerNextOffer(bob.peer);
    await answerNextOffer(carol.peer);
    // Consumers ask for a keyframe once their track is ready, and forward from the next one.
    sendVideo(alice, 12);
    sendVideo(alice, 10, true);
    for (let i = 0; i < 10; i++) alice.mic.packet();

    const stats = room.router.stats;
    const a = alice.peer.counters;
    expect(a.packetsIn).toBeGreaterThan(30);
    expect(a.bytesIn).toBe(stats.bytesIn);
    expect(a.packetsIn).toBe(stats.packetsIn);
    expect(a.bytesOut).toBe(0);
    expect(a.packetsOut).toBe(0);

    for (const m of [bob, carol]) {
      const c = m.peer.counters;
      expect(c.bytesIn).toBe(0);
      expect(c.packetsIn).toBe(0);
      const sent = sentOn(m.sub);
      expect(sent.packets).toBeGreaterThan(10);
      expect(c.bytesOut).toBe(sent.bytes);
      expect(c.packetsOut).toBe(sent.packets);
    }
    expect(bob.peer.counters.bytesOut + carol.peer.counters.bytesOut).toBe(stats.bytesOut);
  });

  it('count retransmissions and feedback for the subscriber that asked', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    bob.peer.subscribe(alice.camId);
    await answerNextOffer(bob.peer);
    sendVideo(alice, 12);
    sendVideo(alice, 10, true);
    const video = bob.sub.current.find((t) => t.kind === 'video')!;
    const before = { ...bob.peer.counters };
    const last = video.sent[video.sent.length - 1]!;

    video.nack([last.seq]);
    video.pli();

    const c = bob.peer.counters;
    expect(c.nacksReceived).toBe(before.nacksReceived + 1);
    expect(c.keyframeRequestsReceived).toBe(before.keyframeRequestsReceived + 1);
    expect(c.packetsOut).toBe(before.packetsOut + 1);
    expect(c.bytesOut).toBe(before.bytesOut + last.payload.length);
    expect(alice.peer.counters.nacksReceived).toBe(0);
  });

  it('start from zero for a participant who comes back', async () => {
    const alice = await publish(room, 'alice');
    sendVideo(alice, 5, true);
    expect(alice.peer.counters.bytesIn).toBeGreaterThan(0);
    alice.peer.close();
    const again = join(room, 'alice');
    expect(again.peer.counters.bytesIn).toBe(0);
    expect(again.peer.counters.packetsOut).toBe(0);
  });
});
