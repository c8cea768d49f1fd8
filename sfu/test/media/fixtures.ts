// Builders shared by the media unit tests: a simulcast VP8 producer fed by synthetic sources, and a
// subscriber track that is negotiated and connected, all over the fake transport.
import { Consumer } from '../../src/media/Consumer.js';
import { MediaStats } from '../../src/media/MediaStats.js';
import { Producer } from '../../src/media/Producer.js';
import {
  FakeInboundTrack,
  FakeSubscriberTransport,
  OPUS,
  VP8,
  type FakeOutboundTrack,
} from './fakeTransport.js';
import { CLIENT_ANSWER } from './fakeSdp.js';
import { OpusSource, Vp8Source, type Vp8SourceInit } from './rtpSources.js';

export const PLI_INTERVAL_MS = 500;
/** One frame at 30 fps. */
export const FRAME_MS = 33;

export interface SimulcastProducer {
  producer: Producer;
  stats: MediaStats;
  /** q, h, f: 320x180, 640x360, 1280x720. */
  layers: [Vp8Source, Vp8Source, Vp8Source];
}

/** A VP8 producer with layers q, h, f; `init[i]` overrides the counters of layer i. */
export function simulcastProducer(
  init: [Vp8SourceInit?, Vp8SourceInit?, Vp8SourceInit?] = [],
  stats = new MediaStats(),
): SimulcastProducer {
  const producer = new Producer({
    peerId: 'alice',
    mid: '0',
    kind: 'video',
    codec: VP8,
    source: 'camera',
    ridOrder: [],
    stats,
    pliIntervalMs: PLI_INTERVAL_MS,
    cacheSize: 512,
    onAudioLevel: null,
  });
  const sizes = [
    [320, 180],
    [640, 360],
    [1280, 720],
  ] as const;
  const layers = (['q', 'h', 'f'] as const).map((rid, i) => {
    const track = new FakeInboundTrack('0', 'video', rid);
    producer.addTrack(track);
    return new Vp8Source(track, {
      seq: 1000 + i * 20000,
      ts: 90000 + i * 1_000_000,
      pictureId: 100 + i * 5000,
      tl0PicIdx: 10 + i * 50,
      width: sizes[i]![0],
      height: sizes[i]![1],
      ...init[i],
    });
  }) as [Vp8Source, Vp8Source, Vp8Source];
  return { producer, stats, layers };
}

export function opusProducer(stats = new MediaStats()): { producer: Producer; source: OpusSource } {
  const producer = new Producer({
    peerId: 'alice',
    mid: '1',
    kind: 'audio',
    codec: OPUS,
    source: 'microphone',
    ridOrder: [],
    stats,
    pliIntervalMs: PLI_INTERVAL_MS,
    cacheSize: 512,
    onAudioLevel: null,
  });
  const track = new FakeInboundTrack('1', 'audio', undefined);
  producer.addTrack(track);
  return { producer, source: new OpusSource(track) };
}

/** A subscriber connection that is connected, with one negotiated track for `producer`. */
export async function readyTrack(
  producer: Producer,
  sub = new FakeSubscriberTransport(),
): Promise<{ sub: FakeSubscriberTransport; track: FakeOutboundTrack }> {
  sub.setState('connected');
  const track = sub.addTrack(
    producer.kind,
    producer.codec,
    producer.peerId,
    producer.id,
  ) as FakeOutboundTrack;
  await sub.offer(false);
  await sub.setAnswer(CLIENT_ANSWER);
  return { sub, track };
}

/** A consumer on a ready track; `failures` collects what it reported to its peer. */
export async function consumerOf(
  producer: Producer,
  stats: MediaStats,
  subscriberId = 'bob',
): Promise<{ consumer: Consumer; track: FakeOutboundTrack; failures: unknown[] }> {
  const { track } = await readyTrack(producer);
  const failures: unknown[] = [];
  const consumer = new Consumer(producer, subscriberId, track, stats, (e) => failures.push(e));
  return { consumer, track, failures };
}
