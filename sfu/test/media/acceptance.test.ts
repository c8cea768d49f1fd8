// Acceptance of the media plane with real WebRTC peers: libwebrtc (@roamhq/wrtc) clients publish
// simulcast VP8 + Opus to the Router over in-process SDP exchange and decode what it forwards.
import { afterEach, describe, expect, it } from 'vitest';
import {
  setListenerErrorReporter,
  MediaError,
  Router,
  SdpRejectedError,
  type ActiveSpeaker,
  type SubscribedQuality,
} from '../../src/media/index.js';
import { reportListenerError } from '../../src/media/emitter.js';
import { transportsUnderTest } from './transports.js';
import { waitFor, WrtcClient, type ClientOptions } from './wrtcClient.js';

const DEADLINE = 30_000;
const defaultReporter = reportListenerError;
let router: Router | undefined;
let clients: WrtcClient[] = [];

afterEach(() => {
  setListenerErrorReporter(defaultReporter);
  for (const c of clients) c.close();
  clients = [];
  router?.close();
  router = undefined;
});

/** Subscribes every peer to every producer of the others, as the signaling tier will. */
function autoSubscribe(r: Router): void {
  r.on('producerAdded', (p) => {
    for (const c of clients) {
      const peer = r.getPeer(c.id);
      if (peer && !peer.isClosed && c.id !== p.peerId) peer.subscribe(p.id);
    }
  });
  r.on('peerJoined', (peer) => {
    for (const p of r.listProducers()) if (p.peerId !== peer.participantId) peer.subscribe(p.id);
  });
}

function client(id: string, opts?: ClientOptions): WrtcClient {
  const c = new WrtcClient(id, opts);
  clients.push(c);
  return c;
}

function videoProducerOf(r: Router, participantId: string) {
  const p = r.listProducers().find((x) => x.peerId === participantId && x.kind === 'video');
  if (!p) throw new Error(`no video producer for ${participantId}`);
  return p;
}

describe.each(transportsUnderTest())('media plane with real peers on %s', (transport) => {
  it('three peers each decode the other two (video and audio); speaker detection; leave returns counts to zero', async () => {
    router = new Router({ transport });
    const r = router;
    autoSubscribe(r);
    const speakers: ActiveSpeaker[][] = [];
    r.on('speakersChanged', (s) => speakers.push(s));
    const left: string[] = [];
    r.on('peerLeft', (id) => left.push(id));
    const names = ['alice', 'bob', 'carol'];
    const cs = names.map((n) => client(n, { loudness: n === 'alice' ? 0.5 : 0 }));
    await Promise.all(cs.map((c) => c.join(r)));

    for (const c of cs) {
      for (const other of names.filter((n) => n !== c.id)) {
        await waitFor(
          () => c.media(other).videoFrames >= 15 && c.media(other).audioChunks >= 20,
          DEADLINE,
          `${c.id} decodes ${other}`,
          () => ({ media: Object.fromEntries(c.received), stats: r.stats.collect() }),
        );
      }
    }
    const s = r.stats.collect();
    expect(s.peers).toBe(3);
    expect(s.producers).toBe(6);
    expect(s.consumers).toBe(12);
    expect(s.packetsOut).toBeGreaterThan(0);

    // Only alice makes a sound: she must become the (only) active speaker.
    await waitFor(
      () => speakers.some((l) => l[0]?.participantId === 'alice'),
      DEADLINE,
      'alice as active speaker',
    );
    const latest = speakers[speakers.length - 1]!;
    expect(latest.map((x) => x.participantId)).toEqual(['alice']);

    // Carol leaves (signaling closes her peer): the others keep receiving each other.
    r.getPeer('carol')!.close('left');
    expect(left).toEqual(['carol']);
    const bobFromAlice = cs[1]!.media('alice').videoFrames;
    await waitFor(
      () => cs[1]!.media('alice').videoFrames > bobFromAlice + 15,
      DEADLINE,
      'bob still decodes alice',
    );
    expect(r.stats.collect()).toMatchObject({ peers: 2, producers: 4, consumers: 4 });

    r.getPeer('alice')!.close('left');
    r.getPeer('bob')!.close('left');
    expect(left).toEqual(['carol', 'alice', 'bob']);
    expect(r.stats.collect()).toMatchObject({ peers: 0, producers: 0, consumers: 0 });
    expect(r.peerCount).toBe(0);
  });

  it('switches layers on request (small then large) without a decoder stall; dynacast follows', async () => {
    router = new Router({ transport });
    const r = router;
    autoSubscribe(r);
    const qualities: SubscribedQuality[][] = [];
    r.on('subscribedQualities', (_id, pid, q) => {
      if (pid === 'alice') qualities.push(q);
    });
    const alice = client('alice');
    const bob = client('bob', { video: false, audio: false });
    await bob.join(r);
    await alice.join(r);
    const producer = videoProducerOf(r, 'alice');
    // Both lower layers must be flowing before sizes mean anything.
    await waitFor(
      () => producer.layers.filter((l) => l && l.active && l.width > 0).length >= 2,
      DEADLINE,
      'two simulcast layers',
      () => producer.layers.map((l) => l && { rid: l.rid, w: l.width, active: l.active }),
    );
    const low = producer.layers[0]!;
    const sizes = producer.layers.filter((l) => l && l.width > 0).map((l) => l!.width);

    bob.peer.setPreferredLayers(producer.id, { width: low.width, height: low.height });
    const m = bob.media('alice');
    await waitFor(
      () => m.width === low.width && m.videoFrames > 10,
      DEADLINE,
      'low layer at the sink',
      () => ({ m, sizes }),
    );
    await waitFor(
      () => qualities.some((q) => q[0]?.enabled === true && q.slice(1).every((x) => !x.enabled)),
      DEADLINE,
      'dynacast: only q wanted',
      () => qualities,
    );

    const before = m.videoFrames;
    m.maxGapMs = 0;
    const switchesBefore = r.stats.layerSwitches;
    bob.peer.setPreferredLayers(producer.id, { width: 1920, height: 1080 });
    await waitFor(
      () => m.width > low.width,
      DEADLINE,
      'higher layer at the sink',
      () => ({ m, sizes, stats: r.stats.collect() }),
    );
    const atSwitch = m.videoFrames;
    await waitFor(() => m.videoFrames >= atSwitch + 30, DEADLINE, 'frames continue after the switch');
    expect(m.videoFrames).toBeGreaterThan(before);
    expect(r.stats.layerSwitches).toBeGreaterThan(switchesBefore);
    // No stall: at 15 fps frames are ~67 ms apart; a switch without a keyframe would freeze for seconds.
    expect(m.maxGapMs).toBeLessThan(1000);
    expect(qualities[qualities.length - 1]![0]!.enabled).toBe(false);
  });

  it('recovers from 5% egress loss with NACK retransmissions from the cache', async () => {
    router = new Router({ transport });
    const r = router;
    autoSubscribe(r);
    const alice = client('alice', { audio: false });
    const bob = client('bob', { video: false, audio: false });
    await bob.join(r, { egressDropRate: 0.05 });
    await alice.join(r);
    const m = bob.media('alice');
    await waitFor(
      () => m.videoFrames >= 10,
      DEADLINE,
      'bob decodes alice despite loss',
      () => r.stats.collect(),
    );
    await waitFor(
      () => r.stats.retransmissionsSent >= 20,
      DEADLINE,
      'retransmissions',
      () => r.stats.collect(),
    );
    const frames = m.videoFrames;
    m.maxGapMs = 0;
    await waitFor(() => m.videoFrames >= frames + 60, DEADLINE, 'video keeps decoding');
    const s = r.stats.collect();
    expect(s.packetsDropped).toBeGreaterThan(0);
    expect(s.nacksReceived).toBeGreaterThan(0);
    expect(s.retransmissionsSent).toBeGreaterThan(s.retransmissionsMissed);
    expect(m.maxGapMs).toBeLessThan(1500);
  });

  it('rejects a garbage SDP offer with a typed error and keeps serving the other peers', async () => {
    router = new Router({ transport });
    const r = router;
    autoSubscribe(r);
    const alice = client('alice', { audio: false });
    const bob = client('bob', { video: false, audio: false });
    await bob.join(r);
    await alice.join(r);
    await waitFor(() => bob.media('alice').videoFrames >= 10, DEADLINE, 'bob decodes alice');

    const mallory = r.createPeer('mallory');
    await expect(mallory.handlePublisherOffer('hello')).rejects.toBeInstanceOf(SdpRejectedError);
    const bad =
      'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\n';
    const err = await mallory.handlePublisherOffer(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('SDP_REJECTED');
    await expect(mallory.handleSubscriberAnswer('v=0\r\nm=x\r\n')).rejects.toBeInstanceOf(MediaError);

    const frames = bob.media('alice').videoFrames;
    await waitFor(() => bob.media('alice').videoFrames >= frames + 30, DEADLINE, 'bob still decodes alice');
    mallory.close();
    expect(r.getPeer('alice')?.isClosed).toBe(false);
  });

  it('contains a failing consumer: only its peer closes, the others keep decoding', async () => {
    router = new Router({ transport });
    const r = router;
    autoSubscribe(r);
    const alice = client('alice', { audio: false });
    const bob = client('bob', { video: false, audio: false });
    const eve = client('eve', { video: false, audio: false });
    await bob.join(r);
    let armed = false;
    await eve.join(r, {
      dropFilter: () => {
        if (armed) throw new Error('boom');
        return false;
      },
    });
    await alice.join(r);
    await waitFor(
      () => bob.media('alice').videoFrames >= 10 && eve.media('alice').videoFrames >= 10,
      DEADLINE,
      'both decode alice',
    );
    const left: [string, string][] = [];
    r.on('peerLeft', (id, reason) => left.push([id, reason]));
    // A listener that throws must not break anything either; its error goes to the reporter.
    const reported: string[] = [];
    setListenerErrorReporter((event) => reported.push(event));
    r.on('peerLeft', () => {
      throw new Error('listener bug');
    });
    armed = true;
    await waitFor(() => left.length > 0, DEADLINE, 'eve closed');
    expect(left[0]![0]).toBe('eve');
    expect(left[0]![1]).toMatch(/boom/);
    const frames = bob.media('alice').videoFrames;
    await waitFor(() => bob.media('alice').videoFrames >= frames + 30, DEADLINE, 'bob still decodes alice');
    expect(r.stats.containedErrors).toBeGreaterThan(0);
    expect(reported).toContain('peerLeft');
  });
});
