// A room over the fake transport for the Peer and Router tests: a Router whose peers get fake publisher
// and subscriber connections, publishers sending synthetic simulcast VP8 and Opus, and subscribers that
// answer their offers as a browser would.
import { vi } from 'vitest';
import type { Peer } from '../../src/media/Peer.js';
import { Router, type RouterOptions } from '../../src/media/Router.js';
import { CLIENT_ANSWER, publisherOffer } from './fakeSdp.js';
import {
  FakeTransportFactory,
  type FakePublisherTransport,
  type FakeSubscriberTransport,
} from './fakeTransport.js';
import { FRAME_MS } from './fixtures.js';
import { OpusSource, Vp8Source } from './rtpSources.js';

export const TICK_MS = 300;
export const FAILED_TIMEOUT_MS = 2000;

/**
 * Timers and the clock are fake; setImmediate stays real, so the Peer's negotiation (scheduled with it) runs
 * when the test awaits settle() or an event.
 */
export function useRoomTimers(): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'],
  });
  vi.advanceTimersByTime(10_000);
}

/** Lets every queued setImmediate and promise continuation run (no timers, no fixed delay). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface TestRoom {
  router: Router;
  factory: FakeTransportFactory;
}

export function testRoom(opts: RouterOptions = {}): TestRoom {
  const factory = new FakeTransportFactory();
  const router = new Router({
    transports: factory,
    tickMs: TICK_MS,
    failedTimeoutMs: FAILED_TIMEOUT_MS,
    pliIntervalMs: 500,
    ...opts,
  });
  return { router, factory };
}

export interface Member {
  peer: Peer;
  pub: FakePublisherTransport;
  sub: FakeSubscriberTransport;
}

/** A participant with both connections up. */
export function join(room: TestRoom, id: string): Member {
  const peer = room.router.createPeer(id);
  const pub = room.factory.publishers[room.factory.publishers.length - 1]!;
  const sub = room.factory.subscribers[room.factory.subscribers.length - 1]!;
  pub.setState('connected');
  sub.setState('connected');
  return { peer, pub, sub };
}

export interface Publisher extends Member {
  camId: string;
  micId: string;
  layers: [Vp8Source, Vp8Source, Vp8Source];
  mic: OpusSource;
}

/** A participant publishing simulcast camera video (mid 0, track `<id>-cam`) and a microphone (`<id>-mic`). */
export async function publish(room: TestRoom, id: string): Promise<Publisher> {
  const m = join(room, id);
  const camId = `${id}-cam`;
  const micId = `${id}-mic`;
  await m.peer.handlePublisherOffer(
    publisherOffer([
      { mid: '0', kind: 'video' },
      { mid: '1', kind: 'audio' },
    ]),
    [
      { mid: '0', trackId: camId, source: 'camera' },
      { mid: '1', trackId: micId, source: 'microphone' },
    ],
  );
  const sizes = [320, 640, 1280];
  // About 30, 85 and 300 kbps at 30 fps.
  const fillers = [20, 100, 400];
  const layers = (['q', 'h', 'f'] as const).map(
    (rid, i) =>
      new Vp8Source(m.pub.addInbound('0', 'video', rid), {
        seq: 100 + i * 10000,
        pictureId: 50 + i * 1000,
        width: sizes[i]!,
        height: (sizes[i]! * 9) / 16,
        filler: fillers[i]!,
      }),
  ) as [Vp8Source, Vp8Source, Vp8Source];
  const mic = new OpusSource(m.pub.addInbound('1', 'audio'));
  await Promise.resolve();
  return { ...m, camId, micId, layers, mic };
}

/** Waits for the peer's next subscriber offer. */
export function nextOffer(peer: Peer): Promise<string> {
  return new Promise((resolve) => peer.once('subscriberOffer', resolve));
}

/** Waits for the next offer and answers it. */
export async function answerNextOffer(peer: Peer): Promise<string> {
  const sdp = await nextOffer(peer);
  await peer.handleSubscriberAnswer(CLIENT_ANSWER);
  return sdp;
}

/** `frames` frames from every layer of `p` (the first a keyframe on each when asked), with router ticks. */
export function sendVideo(p: Publisher, frames: number, keyframeFirst = false): void {
  for (let i = 0; i < frames; i++) {
    for (const l of p.layers) l.frame(keyframeFirst && i === 0);
    vi.advanceTimersByTime(FRAME_MS);
  }
}
