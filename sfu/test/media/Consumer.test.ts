// Consumer over the fake transport: what one subscriber receives from a simulcast producer when layers
// switch, numbers wrap, packets are NACKed, the consumer is paused, or it takes over a reused m-line.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Consumer, KEYFRAME_RETRY_MS } from '../../src/media/Consumer.js';
import { MediaStats } from '../../src/media/MediaStats.js';
import { FakeSubscriberTransport, POISON } from './fakeTransport.js';
import {
  consumerOf,
  FRAME_MS,
  opusProducer,
  PLI_INTERVAL_MS,
  readyTrack,
  simulcastProducer,
} from './fixtures.js';
import { expectContinuous, parseSent, type Vp8Source } from './rtpSources.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** One frame from each source (a delta frame unless listed in `keyframes`), then a frame's time passes. */
function round(sources: readonly Vp8Source[], keyframes: readonly Vp8Source[] = []): void {
  for (const s of sources) s.frame(keyframes.includes(s));
  vi.advanceTimersByTime(FRAME_MS);
}

describe('Consumer layer switching', () => {
  it('switches to the target layer only at its first keyframe, after asking the publisher for one', async () => {
    const { producer, stats, layers } = simulcastProducer();
    const [q, h, f] = layers;
    const { consumer, track } = await consumerOf(producer, stats);
    const changes: number[] = [];
    consumer.on('layerChanged', (l) => changes.push(l));

    round(layers);
    producer.tick(performance.now());
    // The default request is the best quality: the full layer is asked for, and only it.
    expect(f.track.plis).toHaveLength(1);
    expect(q.track.plis).toHaveLength(0);
    expect(h.track.plis).toHaveLength(0);

    round(layers, [q, h]);
    round(layers);
    expect(track.sent).toHaveLength(0);

    round(layers, [f]);
    expect(changes).toEqual([2]);
    const first = parseSent(track.sent);
    expect(first).toHaveLength(f.packetsPerFrame);
    expect(first[0]!.vp8.keyframe).toBe(true);
    expect(first[0]!.vp8.width).toBe(1280);

    // Down to the lowest quality: the full layer keeps flowing until the low layer's keyframe.
    consumer.setPreferredLayers({ quality: 0 }, false);
    expect(q.track.plis).toHaveLength(1);
    round(layers);
    round(layers);
    expect(track.sent).toHaveLength(3 * f.packetsPerFrame);
    round(layers, [q]);
    round(layers);
    expect(changes).toEqual([2, 0]);

    const all = parseSent(track.sent);
    expect(all).toHaveLength(5 * f.packetsPerFrame);
    const keyframes = all.filter((p) => p.vp8.keyframe);
    expect(keyframes.map((p) => p.vp8.width)).toEqual([1280, 320]);
    expectContinuous(all);
    expect(all.some((p) => p.payload.includes(POISON))).toBe(false);
  });

  it('asks each layer for a keyframe at most once per interval, however many subscribers want it', async () => {
    const { producer, stats, layers } = simulcastProducer();
    const [q, , f] = layers;
    const bob = await consumerOf(producer, stats, 'bob');
    const carol = await consumerOf(producer, stats, 'carol');
    round(layers);
    producer.tick(performance.now());
    expect(f.track.plis).toHaveLength(1);

    // Within the interval: more ticks, and the subscribers' own PLIs, cost the publisher nothing more.
    vi.advanceTimersByTime(100);
    producer.tick(performance.now());
    bob.track.pli();
    carol.track.pli();
    expect(f.track.plis).toHaveLength(1);
    // Another layer has its own budget.
    bob.consumer.setPreferredLayers({ quality: 0 }, false);
    expect(q.track.plis).toHaveLength(1);

    // Still no keyframe: once the interval has passed, the layer is asked again, once.
    vi.advanceTimersByTime(PLI_INTERVAL_MS);
    producer.tick(performance.now());
    carol.track.pli();
    expect(f.track.plis).toHaveLength(2);
    expect(f.track.plis[1]! - f.track.plis[0]!).toBeGreaterThanOrEqual(PLI_INTERVAL_MS);
  });

  it('asks again, once a second, while the keyframe it asked for does not come', async () => {
    const { producer, stats, layers } = simulcastProducer();
    const [, , f] = layers;
    const { consumer, track } = await consumerOf(producer, stats);
    round(layers);
    producer.tick(performance.now());
    expect(f.track.plis).toHaveLength(1);

    // The request (or the keyframe's first packet) was lost: the full layer keeps coming as delta frames.
    // Nothing is sent, so the subscriber has nothing to ask about; the consumer asks again by itself.
    const waitFrames = Math.ceil(KEYFRAME_RETRY_MS / FRAME_MS);
    for (let i = 0; i < 3 * waitFrames; i++) round(layers);
    expect(track.sent).toHaveLength(0);
    const asked = f.track.plis;
    expect(asked.length).toBeGreaterThanOrEqual(3);
    expect(asked.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < asked.length; i++)
      expect(asked[i]! - asked[i - 1]!).toBeGreaterThanOrEqual(KEYFRAME_RETRY_MS);

    round(layers, [f]);
    expect(consumer.currentLayer).toBe(2);
    expect(parseSent(track.sent)[0]!.vp8.keyframe).toBe(true);
    // Once it flows, no more requests of its own.
    for (let i = 0; i < 2 * waitFrames; i++) round(layers);
    expect(f.track.plis).toHaveLength(asked.length);
  });

  it('starts sending only once the subscriber connection is up, and at a keyframe again after it was down', async () => {
    const { producer, stats, layers } = simulcastProducer();
    const [, , f] = layers;
    const sub = new FakeSubscriberTransport();
    const { track } = await readyTrack(producer, sub);
    sub.setState('connecting');
    new Consumer(producer, 'bob', track, stats, () => undefined);
    round(layers);
    producer.tick(performance.now());
    round(layers, [f]);
    expect(track.sent).toHaveLength(0);

    sub.setState('connected');
    const plis = f.track.plis.length;
    vi.advanceTimersByTime(PLI_INTERVAL_MS);
    round(layers);
    // The first packet after the connection came up asks for a keyframe; nothing goes out before it.
    expect(f.track.plis.length).toBe(plis + 1);
    expect(track.sent).toHaveLength(0);
    round(layers, [f]);
    round(layers);
    expect(track.sent).toHaveLength(2 * f.packetsPerFrame);

    sub.setState('disconnected');
    round(layers);
    sub.setState('connected');
    vi.advanceTimersByTime(PLI_INTERVAL_MS);
    round(layers);
    round(layers, [f]);
    const all = parseSent(track.sent);
    expect(all).toHaveLength(3 * f.packetsPerFrame);
    expect(all[2 * f.packetsPerFrame]!.vp8.keyframe).toBe(true);
    expectContinuous(all);
  });

  it('moves to the next layer at its keyframe when the forwarded layer stops arriving', async () => {
    const { producer, stats, layers } = simulcastProducer();
    const [q, h, f] = layers;
    const { consumer, track } = await consumerOf(producer, stats);
    const changes: number[] = [];
    consumer.on('layerChanged', (l) => changes.push(l));
    round(layers);
    producer.tick(performance.now());
    round(layers, [f]);
    // The publisher stops the full layer (dynacast, or its encoder dropped it).
    for (let i = 0; i < 70; i++) {
      round([q, h]);
      if (i % 10 === 0) producer.tick(performance.now());
    }
    expect(h.track.plis.length).toBeGreaterThan(0);
    round([q, h], [h]);
    expect(changes).toEqual([2, 1]);
    const all = parseSent(track.sent);
    expect(all.filter((p) => p.vp8.keyframe).map((p) => p.vp8.width)).toEqual([1280, 640]);
    expectContinuous(all);
  });
});

describe('Consumer numbering across wrap-around', () => {
  const starts: Array<[seq: number, ts: number]> = [
    [0, 0],
    [32767, 2 ** 31 - 4500],
    [65535, 2 ** 32 - 4500],
  ];
  for (const [seq, ts] of starts) {
    it(`keeps sequence numbers, timestamps and picture ids continuous across switches from seq ${seq}, ts ${ts}, picture id 32767`, async () => {
      // The low layer's first keyframe (its second frame) carries exactly these numbers.
      const { producer, stats, layers } = simulcastProducer([
        { seq: (seq - 3) & 0xffff, ts: (ts - 3000) >>> 0, pictureId: 32766, tl0PicIdx: 254 },
        { seq: (seq - 4) & 0xffff, ts: (ts - 6000) >>> 0, pictureId: 32766, tl0PicIdx: 254 },
        { seq: (seq + 32768) & 0xffff, ts: (ts + 2 ** 31) >>> 0, pictureId: 0, tl0PicIdx: 0 },
      ]);
      const [q, h, f] = layers;
      const { consumer, track } = await consumerOf(producer, stats);
      consumer.setPreferredLayers({ quality: 0 }, false);
      round(layers);
      producer.tick(performance.now());
      round(layers, [q]);
      round(layers);
      consumer.setPreferredLayers({ quality: 2 }, false);
      round(layers, [f]);
      round(layers);
      consumer.setPreferredLayers({ quality: 1 }, false);
      round(layers, [h]);
      round(layers);
      round(layers);
      consumer.setPreferredLayers({ quality: 0 }, false);
      vi.advanceTimersByTime(PLI_INTERVAL_MS);
      round(layers, [q]);
      round(layers);

      const all = parseSent(track.sent);
      // Frames forwarded: q q (q f) f h h h q q; during a switch the old layer's frame of that round goes first.
      expect(all).toHaveLength(10 * q.packetsPerFrame);
      expect(all.filter((p) => p.vp8.keyframe).map((p) => p.vp8.width)).toEqual([320, 1280, 640, 320]);
      expectContinuous(all);
      // The first packet goes out unchanged; every later number follows from it.
      expect(all[0]!.seq).toBe(seq);
      expect(all[0]!.ts).toBe(ts);
      expect(all[0]!.vp8.pictureId).toBe(32767);
    });
  }

  it('keeps 7-bit picture ids continuous when a switch follows their wrap', async () => {
    const { producer, stats, layers } = simulcastProducer([
      { pictureId: 125, shortPictureId: true },
      undefined,
      { pictureId: 40, shortPictureId: true },
    ]);
    const [q, h, f] = layers;
    const { consumer, track } = await consumerOf(producer, stats);
    consumer.setPreferredLayers({ quality: 0 }, false);
    round([q, h, f]);
    producer.tick(performance.now());
    round([q, f], [q]);
    for (let i = 0; i < 6; i++) round([q, f]);
    consumer.setPreferredLayers({ quality: 2 }, false);
    round([q, f], [f]);
    round([q, f]);
    const all = parseSent(track.sent);
    expect(all.filter((p) => p.vp8.keyframe)).toHaveLength(2);
    expect(all.every((p) => !p.vp8.pictureIdLong)).toBe(true);
    expectContinuous(all);
  });
});

describe('Consumer NACK handling', () => {
  it('resends NACKed packets from the cache with the numbers and picture ids the subscriber saw', async () => {
    const { producer, stats, layers } = simulcastProducer();
    const [q, , f] = layers;
    const { consumer, track } = await consumerOf(producer, stats);
    consumer.setPreferredLayers({ quality: 0 }, false);
    round(layers);
    producer.tick(performance.now());
    round(layers, [q]);
    round(layers);
    consumer.setPreferredLayers({ quality: 2 }, false);
    round(layers, [f]);
    round(layers);
    const sent = track.sent.slice();
    // q q (q f) f: the low layer's frame of the switching round goes out before the full keyframe.
    expect(sent).toHaveLength(5 * f.packetsPerFrame);

    const lost = [sent[1]!, sent[4]!, sent[8]!, sent[10]!, sent[14]!];
    // After the switch the full layer's own picture ids differ from the ones sent: the test needs that.
    const fromFull = parseSent([sent[14]!])[0]!;
    expect(fromFull.vp8.pictureId).not.toBe((f.pictureId - 1) & 0x7fff);

    vi.advanceTimersByTime(50);
    track.nack(lost.map((p) => p.seq));
    const resent = track.sent.slice(sent.length);
    expect(resent.map(({ seq, ts, marker, payload }) => ({ seq, ts, marker, payload }))).toEqual(
      lost.map(({ seq, ts, marker, payload }) => ({ seq, ts, marker, payload })),
    );
    expect(stats.collect()).toMatchObject({ retransmissionsSent: 5, retransmissionsMissed: 0 });
  });

  it('counts NACKs it cannot answer: never sent, overwritten in the cache, or too old', async () => {
    const { producer, stats, layers } = simulcastProducer();
    const [, , f] = layers;
    const { track } = await consumerOf(producer, stats);
    round(layers);
    producer.tick(performance.now());
    round(layers, [f]);
    const early = track.sent[0]!;
    // 600 packets later the 512-slot cache of the layer has been overwritten.
    for (let i = 0; i < 200; i++) f.frame();
    const recent = track.sent[track.sent.length - 1]!;
    const count = track.sent.length;

    track.nack([(recent.seq + 100) & 0xffff, early.seq]);
    expect(track.sent).toHaveLength(count);
    expect(stats.collect()).toMatchObject({ retransmissionsSent: 0, retransmissionsMissed: 2 });

    track.nack([recent.seq]);
    expect(track.sent).toHaveLength(count + 1);
    vi.advanceTimersByTime(3100);
    track.nack([recent.seq]);
    expect(track.sent).toHaveLength(count + 1);
    expect(stats.collect()).toMatchObject({ retransmissionsSent: 1, retransmissionsMissed: 3 });
  });
});

describe('Consumer pause and reuse', () => {
  it('sends nothing while paused, asks for no keyframe, and resumes the same stream at a keyframe', async () => {
    const { producer, stats, layers } = simulcastProducer();
    const [, , f] = layers;
    const { consumer, track } = await consumerOf(producer, stats);
    const changes: number[] = [];
    consumer.on('layerChanged', (l) => changes.push(l));
    round(layers);
    producer.tick(performance.now());
    round(layers, [f]);
    const before = track.sent.length;

    consumer.setPreferredLayers({ quality: 2 }, true);
    expect(changes).toEqual([2, -1]);
    const plis = f.track.plis.length;
    for (let i = 0; i < 30; i++) {
      round(layers, i % 10 === 0 ? layers : []);
      producer.tick(performance.now());
    }
    expect(track.sent).toHaveLength(before);
    expect(f.track.plis).toHaveLength(plis);

    consumer.setPreferredLayers({ quality: 2 }, false);
    expect(f.track.plis).toHaveLength(plis + 1);
    round(layers);
    expect(track.sent).toHaveLength(before);
    round(layers, [f]);
    expect(changes).toEqual([2, -1, 2]);
    const all = parseSent(track.sent);
    expect(all).toHaveLength(before + f.packetsPerFrame);
    expectContinuous(all);
  });

  it('sends no audio while paused', async () => {
    const stats = new MediaStats();
    const { producer, source } = opusProducer(stats);
    const { consumer, track } = await consumerOf(producer, stats);
    source.packet();
    source.packet();
    expect(track.sent).toHaveLength(2);
    consumer.setPreferredLayers({ quality: 0 }, true);
    for (let i = 0; i < 20; i++) source.packet();
    expect(track.sent).toHaveLength(2);
    consumer.setPreferredLayers({ quality: 0 }, false);
    source.packet();
    expect(track.sent).toHaveLength(3);
    expect(track.sent[2]!.seq).toBe((track.sent[1]!.seq + 1) & 0xffff);
  });

  it('continues the previous stream of a reused m-line instead of starting its own numbering', async () => {
    const { producer, stats, layers } = simulcastProducer([{ seq: 7, ts: 5000, pictureId: 9, tl0PicIdx: 3 }]);
    const [q] = layers;
    const { track } = await readyTrack(producer);
    // Where the last stream on this m-line stopped, one second ago, right before every wrap.
    const stoppedAt = performance.now();
    track.continuity = { seq: 65535, ts: 2 ** 32 - 1000, atMs: stoppedAt, pictureId: 32767, tl0PicIdx: 255 };
    vi.advanceTimersByTime(1000);
    const consumer = new Consumer(producer, 'bob', track, stats, () => undefined);
    consumer.setPreferredLayers({ quality: 0 }, false);
    round(layers);
    producer.tick(performance.now());
    round(layers, [q]);
    round(layers);
    const all = parseSent(track.sent);
    expect(all[0]!.seq).toBe(0);
    expect(all[0]!.vp8.pictureId).toBe(0);
    expect(all[0]!.vp8.tl0PicIdx).toBe(0);
    // About one second of 90 kHz clock after the last timestamp, across the 32-bit wrap.
    const advanced = (all[0]!.ts - (2 ** 32 - 1000)) >>> 0;
    expect(advanced).toBeGreaterThan(80_000);
    expect(advanced).toBeLessThan(100_000);
    expectContinuous(all);

    // Closing hands the end of this stream to the next user of the m-line.
    consumer.close('unsubscribed');
    const last = all[all.length - 1]!;
    expect(track.continuity).toMatchObject({ seq: last.seq, ts: last.ts, pictureId: last.vp8.pictureId });
  });
});
