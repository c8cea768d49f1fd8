// Producer over the fake transport: simulcast layers by rid, what it learns from keyframes, dynacast,
// audio levels, and how its end reaches the consumers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Consumer } from '../../src/media/Consumer.js';
import { MediaStats } from '../../src/media/MediaStats.js';
import { Producer, type SubscribedQuality } from '../../src/media/Producer.js';
import { FakeInboundTrack, OPUS, VP8 } from './fakeTransport.js';
import { consumerOf, FRAME_MS, readyTrack, simulcastProducer } from './fixtures.js';
import { OpusSource, parseSent, Vp8Source } from './rtpSources.js';

beforeEach(() => {
  vi.useFakeTimers();
  // A process's clock has run a while before media arrives; 0 is "never" for the producer's tick.
  vi.advanceTimersByTime(10_000);
});

afterEach(() => {
  vi.useRealTimers();
});

function producer(
  kind: 'audio' | 'video',
  opts: { ridOrder?: string[]; onAudioLevel?: (p: Producer, level: number) => void } = {},
): { producer: Producer; stats: MediaStats } {
  const stats = new MediaStats();
  const p = new Producer({
    peerId: 'alice',
    mid: '0',
    kind,
    codec: kind === 'video' ? VP8 : OPUS,
    source: kind === 'video' ? 'camera' : 'microphone',
    ridOrder: opts.ridOrder ?? [],
    stats,
    pliIntervalMs: 500,
    cacheSize: 512,
    onAudioLevel: opts.onAudioLevel ?? null,
  });
  return { producer: p, stats };
}

describe('Producer layers', () => {
  it("orders Chromium's q, h, f rids by quality whatever order their streams arrive in", async () => {
    const { producer: p, stats } = producer('video');
    const byRid = new Map<string, Vp8Source>();
    for (const [rid, width] of [
      ['f', 1280],
      ['q', 320],
      ['h', 640],
    ] as const) {
      const track = new FakeInboundTrack('0', 'video', rid);
      p.addTrack(track);
      byRid.set(rid, new Vp8Source(track, { width, height: (width * 9) / 16 }));
    }
    expect(p.layers.map((l) => l?.rid)).toEqual(['q', 'h', 'f']);

    // A subscriber asking for the lowest quality gets the q stream.
    const { consumer, track } = await consumerOf(p, stats);
    consumer.setPreferredLayers({ quality: 0 }, false);
    for (const s of byRid.values()) s.frame();
    p.tick(performance.now());
    for (const s of byRid.values()) s.frame(true);
    expect(parseSent(track.sent)[0]!.vp8.width).toBe(320);
  });

  it('orders other rids by the publisher meta, and a stream without rid is the only layer', () => {
    const custom = producer('video', { ridOrder: ['lo', 'mid', 'hi'] }).producer;
    custom.addTrack(new FakeInboundTrack('0', 'video', 'hi'));
    custom.addTrack(new FakeInboundTrack('0', 'video', 'lo'));
    expect(custom.layers.map((l) => l?.rid)).toEqual(['lo', undefined, 'hi']);
    // The missing middle layer is an inactive placeholder for the selectors.
    expect(custom.layerInfos.map((l) => l.active)).toEqual([false, false, false]);

    const plain = producer('video').producer;
    const track = new FakeInboundTrack('0', 'video', undefined);
    plain.addTrack(track);
    // The same stream again (werift may report a track twice) changes nothing.
    plain.addTrack(new FakeInboundTrack('0', 'video', undefined));
    expect(plain.layers).toHaveLength(1);
    expect(plain.layers[0]!.track).toBe(track);
  });

  it('learns frame sizes from keyframes, so a subscriber asking for a size gets the smallest layer that covers it', async () => {
    const { producer: p, stats, layers } = simulcastProducer();
    const [, h] = layers;
    for (const s of layers) s.frame();
    expect(p.layers.map((l) => [l!.width, l!.height])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    for (const s of layers) s.frame(true);
    h.frame(true);
    expect(p.layers.map((l) => [l!.width, l!.height, l!.keyframes])).toEqual([
      [320, 180, 1],
      [640, 360, 2],
      [1280, 720, 1],
    ]);

    const { consumer, track } = await consumerOf(p, stats);
    consumer.setPreferredLayers({ width: 600, height: 340 }, false);
    p.tick(performance.now());
    for (const s of layers) s.frame();
    for (const s of layers) s.frame(true);
    expect(parseSent(track.sent)[0]!.vp8.width).toBe(640);
  });

  it('measures each layer bitrate and marks a layer inactive when its packets stop', () => {
    const { producer: p, layers } = simulcastProducer();
    const [q, h, f] = layers;
    const changed = vi.fn();
    p.on('layersChanged', changed);
    p.tick(performance.now());
    for (let i = 0; i < 30; i++) {
      for (const s of layers) s.frame();
      vi.advanceTimersByTime(FRAME_MS);
    }
    p.tick(performance.now());
    // Three packets of 20 payload bytes (plus descriptor and 12 bytes of RTP header) per frame at 30 fps.
    const bps = p.layers[0]!.bitrateBps;
    expect(bps).toBeGreaterThan(3 * (20 + 12) * 8 * 25);
    expect(bps).toBeLessThan(3 * (40 + 12) * 8 * 35);
    expect(p.layerInfos.map((l) => l.active)).toEqual([true, true, true]);
    // Once per layer as it came up.
    expect(changed).toHaveBeenCalledTimes(3);

    for (let i = 0; i < 60; i++) {
      q.frame();
      h.frame();
      vi.advanceTimersByTime(FRAME_MS);
    }
    p.tick(performance.now());
    expect(p.layerInfos.map((l) => l.active)).toEqual([true, true, false]);
    expect(changed).toHaveBeenCalledTimes(4);
    f.frame();
    expect(p.layerInfos.map((l) => l.active)).toEqual([true, true, true]);
  });
});

describe('Producer dynacast', () => {
  it('tells which qualities any subscriber wants, each time the set changes', async () => {
    const { producer: p, stats, layers } = simulcastProducer();
    const seen: string[] = [];
    const key = (qs: SubscribedQuality[]): string =>
      qs.map((q) => `${q.rid ?? '-'}:${q.enabled ? 'on' : 'off'}`).join(' ');
    p.on('subscribedQualities', (qs) => seen.push(key(qs)));
    for (const s of layers) s.frame();
    p.tick(performance.now());
    expect(seen).toEqual(['q:off h:off f:off']);

    const bob = await consumerOf(p, stats, 'bob');
    p.tick(performance.now());
    const carol = await consumerOf(p, stats, 'carol');
    carol.consumer.setPreferredLayers({ quality: 0 }, false);
    p.tick(performance.now());
    bob.consumer.close('unsubscribed');
    carol.consumer.setPreferredLayers({ quality: 0 }, true);
    p.tick(performance.now());
    expect(seen).toEqual([
      'q:off h:off f:off',
      'q:off h:off f:on',
      'q:on h:off f:on',
      'q:on h:off f:off',
      'q:off h:off f:off',
    ]);
  });
});

describe('Producer dynacast for a newcomer', () => {
  /** One frame from each source (keyframes where listed), then a frame's time passes; ticks as the router does. */
  function run(p: Producer, sources: readonly Vp8Source[], ms: number, keyframes: readonly Vp8Source[] = []) {
    for (let t = 0; t < ms; t += FRAME_MS) {
      for (const s of sources) s.frame(t === 0 && keyframes.includes(s));
      vi.advanceTimersByTime(FRAME_MS);
      if (Math.floor(t / 300) !== Math.floor((t + FRAME_MS) / 300)) p.tick(performance.now());
    }
  }

  it('asks a publisher alone in the room for its paused layers again when someone arrives, and the newcomer gets the big layer within a second', async () => {
    const { producer: p, stats, layers } = simulcastProducer();
    const [q, h, f] = layers;
    const seen: string[] = [];
    const key = (qs: SubscribedQuality[]): string =>
      qs.map((x) => `${x.rid ?? '-'}:${x.enabled ? 'on' : 'off'}`).join(' ');
    p.on('subscribedQualities', (qs) => seen.push(key(qs)));
    // Alone: nobody watches, so the publisher is told to pause everything but q (which it keeps).
    run(p, layers, 600, layers);
    expect(seen).toEqual(['q:off h:off f:off']);
    run(p, [q], 2000);
    expect(p.layerInfos.map((l) => l.active)).toEqual([true, false, false]);

    // A second person arrives and asks for a big tile (the full layer).
    const bob = await consumerOf(p, stats, 'bob');
    const changes: number[] = [];
    bob.consumer.on('layerChanged', (l) => changes.push(l));
    bob.consumer.setPreferredLayers({ quality: 2 }, false);
    expect(seen.at(-1)).toBe('q:off h:off f:on');

    // The publisher resumes f (its first frame is a keyframe, as an encoder's is after a pause).
    run(p, [q, f], 1000, [f]);
    run(p, [q, f], 300, [f]);
    expect(changes.at(-1)).toBe(2);
    const sent = parseSent(bob.track.sent);
    expect(sent.filter((x) => x.vp8.keyframe).at(-1)?.vp8.width).toBe(1280);
    expect(h.track.plis).toHaveLength(0);
  });

  it('sends a keyframe request refused by the throttle once the interval ends, one per layer', () => {
    const { producer: p, stats } = producer('video');
    const track = new FakeInboundTrack('0', 'video', undefined);
    p.addTrack(track);
    expect(p.requestKeyframe(0)).toBe(true);
    vi.advanceTimersByTime(100);
    // Two more inside the interval: neither goes out now, one goes out when the interval ends.
    expect(p.requestKeyframe(0)).toBe(false);
    expect(p.requestKeyframe(0)).toBe(false);
    expect(track.plis).toHaveLength(1);
    vi.advanceTimersByTime(398);
    expect(track.plis).toHaveLength(1);
    vi.advanceTimersByTime(10);
    expect(track.plis).toHaveLength(2);
    expect(track.plis[1]! - track.plis[0]!).toBeGreaterThanOrEqual(500);
    expect(stats.plisSent).toBe(2);
    vi.advanceTimersByTime(2_000);
    expect(track.plis).toHaveLength(2);

    // A closed producer sends nothing it had kept.
    expect(p.requestKeyframe(0)).toBe(true);
    expect(p.requestKeyframe(0)).toBe(false);
    p.close();
    vi.advanceTimersByTime(2_000);
    expect(track.plis).toHaveLength(3);
  });

  it('asks for a layer announced but never seen, by its rid', async () => {
    const stats = new MediaStats();
    const p = new Producer({
      peerId: 'alice',
      mid: '0',
      kind: 'video',
      codec: VP8,
      source: 'camera',
      ridOrder: ['q', 'h', 'f'],
      stats,
      pliIntervalMs: 500,
      cacheSize: 512,
      onAudioLevel: null,
    });
    // Only q ever arrived: h and f were paused before their first packet.
    const track = new FakeInboundTrack('0', 'video', 'q');
    p.addTrack(track);
    const q = new Vp8Source(track, { width: 320, height: 180 });
    const seen: SubscribedQuality[][] = [];
    p.on('subscribedQualities', (qs) => seen.push(qs));
    q.frame(true);
    p.tick(performance.now());
    const bob = await consumerOf(p, stats, 'bob');
    bob.consumer.setPreferredLayers({ width: 640, height: 360 }, false);
    expect(seen.at(-1)).toEqual([
      { quality: 0, rid: 'q', enabled: false },
      { quality: 1, rid: 'h', enabled: true },
      { quality: 2, rid: 'f', enabled: false },
    ]);
  });
});

describe('Producer audio', () => {
  it('reports the RFC 6464 level of each audio packet that carries one', () => {
    const levels: number[] = [];
    const { producer: p } = producer('audio', { onAudioLevel: (_p, level) => levels.push(level) });
    const track = new FakeInboundTrack('0', 'audio', undefined);
    p.addTrack(track);
    const mic = new OpusSource(track);
    mic.packet(30);
    mic.packet(127);
    track.inject({ seq: 900, ts: 1, payload: Buffer.from([1, 2, 3]) });
    mic.packet(0);
    expect(levels).toEqual([30, 127, 0]);
  });
});

describe('Producer close', () => {
  it('closes every consumer with the reason producerclose, then stops taking packets', async () => {
    const { producer: p, stats, layers } = simulcastProducer();
    const [, , f] = layers;
    const bob = await consumerOf(p, stats, 'bob');
    const carol = await consumerOf(p, stats, 'carol');
    const reasons: string[] = [];
    bob.consumer.on('close', (r) => reasons.push(`bob ${r}`));
    carol.consumer.on('close', (r) => reasons.push(`carol ${r}`));
    p.on('close', (r) => reasons.push(`producer ${r}`));
    for (const s of layers) s.frame();
    p.tick(performance.now());
    f.frame(true);
    expect(bob.track.sent.length).toBeGreaterThan(0);

    p.close('unpublished');
    p.close('again');
    expect(reasons).toEqual(['bob producerclose', 'carol producerclose', 'producer unpublished']);
    expect(bob.consumer.isClosed && carol.consumer.isClosed).toBe(true);
    expect(f.track.onPacket).toBeNull();
    const sent = bob.track.sent.length;
    f.frame(true);
    expect(bob.track.sent).toHaveLength(sent);
    expect(stats.collect()).toMatchObject({ producers: 0, consumers: 0 });
    // A consumer made after the close is never fed.
    const { track } = await readyTrack(p);
    const late = new Consumer(p, 'dave', track, stats, () => undefined);
    expect(p.consumerCount).toBe(0);
    late.close();
  });

  it('fails only the consumer whose send throws; the others keep receiving', async () => {
    const { producer: p, stats, layers } = simulcastProducer();
    const [, , f] = layers;
    const bob = await consumerOf(p, stats, 'bob');
    const carol = await consumerOf(p, stats, 'carol');
    for (const s of layers) s.frame();
    p.tick(performance.now());
    const boom = new Error('socket gone');
    bob.track.throwOnSend = boom;
    f.frame(true);
    f.frame();
    await Promise.resolve();
    expect(bob.failures[0]).toBe(boom);
    expect(carol.failures).toEqual([]);
    expect(carol.track.sent).toHaveLength(2 * f.packetsPerFrame);
    expect(stats.collect().containedErrors).toBeGreaterThan(0);
  });
});
