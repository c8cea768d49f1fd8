// Peer over the fake transport: subscriber renegotiation, ICE restarts, publisher offers, and the ways a
// peer ends (a connection that stays failed, a transport that fails inside) without taking others along.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  IceGenerationLostError,
  InvalidArgumentError,
  InvalidStateError,
  NotFoundError,
  SdpRejectedError,
} from '../../src/media/errors.js';
import { CLIENT_ANSWER, publisherOffer, sdpSections } from './fakeSdp.js';
import type { FakeOutboundTrack } from './fakeTransport.js';
import {
  answerNextOffer,
  FAILED_TIMEOUT_MS,
  join,
  nextOffer,
  publish,
  sendVideo,
  settle,
  testRoom,
  useRoomTimers,
  type TestRoom,
} from './roomFixtures.js';
import { expectContinuous, parseSent } from './rtpSources.js';

let room: TestRoom;

beforeEach(() => {
  useRoomTimers();
  room = testRoom();
});

afterEach(() => {
  room.router.close();
  vi.useRealTimers();
});

function trackFor(sub: { current: FakeOutboundTrack[] }, trackId: string): FakeOutboundTrack {
  const t = sub.current.find((x) => x.trackId === trackId);
  if (!t) throw new Error(`no outbound track ${trackId}`);
  return t;
}

describe('Peer subscriptions', () => {
  it('offers a subscribed track labelled for the client, and forwards it once the offer is answered', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    const offer = nextOffer(bob.peer);
    bob.peer.subscribe(alice.camId, 'TR_alice_camera');
    const sdp = await offer;
    expect(sdp).toContain('a=msid:alice TR_alice_camera');
    expect(sdpSections(sdp)).toEqual([{ mid: '0', kind: 'video', direction: 'sendonly' }]);

    const track = trackFor(bob.sub, 'TR_alice_camera');
    sendVideo(alice, 12);
    sendVideo(alice, 2, true);
    expect(track.sent).toHaveLength(0);

    await bob.peer.handleSubscriberAnswer(CLIENT_ANSWER);
    sendVideo(alice, 12);
    sendVideo(alice, 3, true);
    const rx = parseSent(track.sent);
    expect(rx[0]!.vp8.keyframe).toBe(true);
    expect(rx[0]!.vp8.width).toBe(1280);
    expectContinuous(rx);
  });

  it('renegotiates when a subscription ends, and the next track of that kind continues on the freed m-line', async () => {
    const alice = await publish(room, 'alice');
    const carol = await publish(room, 'carol');
    const bob = join(room, 'bob');
    bob.peer.subscribe(alice.camId);
    await answerNextOffer(bob.peer);
    const fromAlice = trackFor(bob.sub, alice.camId);
    sendVideo(alice, 12);
    sendVideo(alice, 3, true);
    expect(fromAlice.sent.length).toBeGreaterThan(0);

    const closed: string[] = [];
    bob.peer.on('consumerClosed', (_id, producerId, reason) => closed.push(`${producerId} ${reason}`));
    const offer = nextOffer(bob.peer);
    bob.peer.unsubscribe(alice.camId);
    expect(closed).toEqual([`${alice.camId} unsubscribed`]);
    expect(sdpSections(await offer)).toEqual([{ mid: '0', kind: 'video', direction: 'inactive' }]);
    await bob.peer.handleSubscriberAnswer(CLIENT_ANSWER);

    bob.peer.subscribe(carol.camId);
    const reuse = await answerNextOffer(bob.peer);
    expect(sdpSections(reuse)).toEqual([{ mid: '0', kind: 'video', direction: 'sendonly' }]);
    const fromCarol = trackFor(bob.sub, carol.camId);
    expect(fromCarol.ssrc).toBe(fromAlice.ssrc);
    sendVideo(carol, 12);
    sendVideo(carol, 3, true);
    // One stream on the m-line's SSRC: what bob's browser receives never runs backwards.
    const rx = parseSent([...fromAlice.sent, ...fromCarol.sent]);
    expect(fromCarol.sent.length).toBeGreaterThan(0);
    expectContinuous(rx);
  });

  it('has one subscriber offer out at a time: changes made meanwhile go into the next offer after the answer', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    const offers: string[] = [];
    bob.peer.on('subscriberOffer', (sdp) => offers.push(sdp));
    bob.peer.subscribe(alice.camId);
    await settle();
    bob.peer.subscribe(alice.micId);
    await settle();
    expect(offers).toHaveLength(1);
    expect(sdpSections(offers[0]!).map((s) => s.kind)).toEqual(['video']);

    await bob.peer.handleSubscriberAnswer(CLIENT_ANSWER);
    await settle();
    expect(offers).toHaveLength(2);
    expect(sdpSections(offers[1]!).map((s) => `${s.kind} ${s.direction}`)).toEqual([
      'video sendonly',
      'audio sendonly',
    ]);
    await bob.peer.handleSubscriberAnswer(CLIENT_ANSWER);
    await expect(bob.peer.handleSubscriberAnswer(CLIENT_ANSWER)).rejects.toBeInstanceOf(InvalidStateError);
    await settle();
    expect(offers).toHaveLength(2);
    expect(bob.peer.isClosed).toBe(false);
  });

  it('refuses subscriptions to unknown or own producers and layer requests out of range', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    expect(() => bob.peer.subscribe('nobody-cam')).toThrow(NotFoundError);
    expect(() => alice.peer.subscribe(alice.camId)).toThrow(InvalidArgumentError);
    bob.peer.subscribe(alice.camId);
    expect(() => bob.peer.setPreferredLayers(alice.camId, { quality: 3 as 2 })).toThrow(InvalidArgumentError);
    expect(() => bob.peer.setPreferredLayers(alice.camId, { width: -1, height: 10 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => bob.peer.setPreferredLayers(alice.micId, { quality: 0 })).toThrow(NotFoundError);
    // Subscribing twice is the same subscription.
    expect(bob.peer.subscribe(alice.camId)).toBe(bob.peer.getConsumer(alice.camId));
  });

  it('closes the peer when its subscriber offer cannot be made', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    const closed = new Promise<string>((resolve) => bob.peer.once('close', resolve));
    bob.sub.rejectNextOffer = new Error('no codec in common');
    bob.peer.subscribe(alice.camId);
    expect(await closed).toBe('subscriber negotiation failed: no codec in common');
    expect(alice.peer.isClosed).toBe(false);
  });
});

describe('Peer bandwidth feedback', () => {
  /** The frame widths bob has received, in order, each once per layer switch. */
  const switches = (t: FakeOutboundTrack): number[] =>
    parseSent(t.sent)
      .filter((p) => p.vp8.keyframe)
      .map((p) => p.vp8.width)
      .filter((w, i, all) => i === 0 || all[i - 1] !== w);

  it('a falling REMB estimate moves the subscriber down to the layer that fits, and back up after the hold', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    bob.peer.subscribe(alice.camId);
    await answerNextOffer(bob.peer);
    const track = trackFor(bob.sub, alice.camId);
    sendVideo(alice, 20);
    sendVideo(alice, 1, true);
    bob.sub.remb(5_000_000);
    sendVideo(alice, 20);
    expect(switches(track)).toEqual([1280]);

    // The estimate falls below the full layer (about 300 kbps) but above the half one (about 85 kbps).
    bob.sub.remb(150_000);
    sendVideo(alice, 20);
    sendVideo(alice, 1, true);
    sendVideo(alice, 5);
    expect(switches(track)).toEqual([1280, 640]);

    // Without another congestion signal, the cap holds for five seconds, then the full layer returns.
    sendVideo(alice, 160);
    sendVideo(alice, 1, true);
    sendVideo(alice, 5);
    expect(switches(track)).toEqual([1280, 640, 1280]);
    expectContinuous(parseSent(track.sent));
  });

  it('receiver-reported loss caps the subscriber to the estimate it already had', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    bob.peer.subscribe(alice.camId);
    await answerNextOffer(bob.peer);
    const track = trackFor(bob.sub, alice.camId);
    sendVideo(alice, 20);
    sendVideo(alice, 1, true);
    // A steady estimate under the full layer's bitrate is not a congestion signal on its own.
    bob.sub.remb(150_000);
    bob.sub.remb(150_000);
    track.receiverReport(0.02);
    sendVideo(alice, 20);
    sendVideo(alice, 1, true);
    expect(switches(track)).toEqual([1280]);

    track.receiverReport(0.2);
    sendVideo(alice, 20);
    sendVideo(alice, 1, true);
    expect(switches(track)).toEqual([1280, 640]);
    expectContinuous(parseSent(track.sent));
  });
});

describe('Peer ICE restart', () => {
  it('does nothing before the first subscriber offer, then renegotiates with fresh credentials', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    const offers: string[] = [];
    bob.peer.on('subscriberOffer', (sdp) => offers.push(sdp));
    bob.peer.restartIce('subscriber');
    await settle();
    expect(offers).toHaveLength(0);

    bob.peer.subscribe(alice.camId);
    await settle();
    expect(bob.sub.offers.map((o) => o.iceRestart)).toEqual([false]);
    await bob.peer.handleSubscriberAnswer(CLIENT_ANSWER);

    bob.peer.restartIce('subscriber');
    await settle();
    expect(bob.sub.offers.map((o) => o.iceRestart)).toEqual([false, true]);
    const ufrag = (sdp: string): string | undefined => /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];
    expect(ufrag(offers[1]!)).not.toBe(ufrag(offers[0]!));

    // Asked while an offer is out: the restart goes into the offer after the answer.
    bob.peer.restartIce('subscriber');
    await settle();
    expect(offers).toHaveLength(2);
    await bob.peer.handleSubscriberAnswer(CLIENT_ANSWER);
    await settle();
    expect(bob.sub.offers.map((o) => o.iceRestart)).toEqual([false, true, true]);
  });

  it('offers again with fresh credentials when the offered connection died before its answer came', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    const offers: string[] = [];
    bob.peer.on('subscriberOffer', (sdp) => offers.push(sdp));
    bob.peer.subscribe(alice.camId);
    await settle();
    expect(offers).toHaveLength(1);

    bob.sub.rejectNextAnswer = new IceGenerationLostError('the offered connection is failed');
    await expect(bob.peer.handleSubscriberAnswer(CLIENT_ANSWER)).resolves.toBeUndefined();
    await settle();
    expect(bob.sub.offers.map((o) => o.iceRestart)).toEqual([false, true]);
    expect(offers).toHaveLength(2);
    expect(bob.peer.isClosed).toBe(false);

    // A bad answer is still the client's error, not a reason to offer again.
    bob.sub.rejectNextAnswer = new SdpRejectedError('answer does not match the offered media sections');
    await expect(bob.peer.handleSubscriberAnswer(CLIENT_ANSWER)).rejects.toBeInstanceOf(SdpRejectedError);
    await settle();
    expect(offers).toHaveLength(2);
  });

  it('relays local candidates with their connection, and refuses malformed remote ones', async () => {
    const bob = join(room, 'bob');
    const relayed: string[] = [];
    bob.peer.on('iceCandidate', (target, c) => relayed.push(`${target} ${c?.candidate ?? 'end'}`));
    bob.pub.gather({ candidate: 'candidate:1 1 udp 1 127.0.0.1 4000 typ host', sdpMid: '0' });
    bob.sub.gather(null);
    expect(relayed).toEqual(['publisher candidate:1 1 udp 1 127.0.0.1 4000 typ host', 'subscriber end']);

    const good = { candidate: 'candidate:2 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0' };
    await bob.peer.addIceCandidate('subscriber', good);
    expect(bob.sub.candidates).toEqual([good]);
    await expect(
      bob.peer.addIceCandidate('publisher', { candidate: 'bad candidate' }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(bob.peer.addIceCandidate('sideways' as 'publisher', good)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(
      bob.peer.addIceCandidate('publisher', { candidate: 42 } as unknown as typeof good),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(bob.pub.candidates).toEqual([]);
    expect(bob.peer.isClosed).toBe(false);
  });

  it('prepares the publisher side only; the client sends the restart offer', async () => {
    const alice = await publish(room, 'alice');
    alice.peer.restartIce('publisher');
    await settle();
    expect(alice.pub.iceRestarts).toBe(1);
    expect(alice.sub.offers).toHaveLength(0);
  });
});

describe('Peer publishing', () => {
  it('rejects an offer the transport refuses with SdpRejectedError and stays usable', async () => {
    const alice = join(room, 'alice');
    const video = publisherOffer([{ mid: '0', kind: 'video' }]);
    alice.pub.rejectNextOffer = new Error('no VP8');
    await expect(alice.peer.handlePublisherOffer(video)).rejects.toBeInstanceOf(SdpRejectedError);
    await expect(alice.peer.handlePublisherOffer('hello')).rejects.toBeInstanceOf(SdpRejectedError);
    await expect(
      alice.peer.handlePublisherOffer(video, [{ notAMid: 1 } as unknown as { mid: string }]),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(alice.pub.offers).toHaveLength(0);
    const answer = await alice.peer.handlePublisherOffer(video);
    expect(sdpSections(answer)).toEqual([{ mid: '0', kind: 'video', direction: 'recvonly' }]);
  });

  it('applies offers one at a time, in the order they came', async () => {
    const alice = join(room, 'alice');
    const first = publisherOffer([{ mid: '0', kind: 'video' }]);
    const second = publisherOffer([
      { mid: '0', kind: 'video' },
      { mid: '1', kind: 'audio' },
    ]);
    alice.pub.rejectNextOffer = new Error('transient');
    const results = await Promise.allSettled([
      alice.peer.handlePublisherOffer(first),
      alice.peer.handlePublisherOffer(second),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(alice.pub.offers).toEqual([second]);
  });

  it('closes the producer of a track the new offer stops sending, and its subscribers hear why', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    bob.peer.subscribe(alice.camId);
    await answerNextOffer(bob.peer);
    const why: string[] = [];
    bob.peer.on('consumerClosed', (_c, producerId, reason) => why.push(`${producerId} ${reason}`));
    room.router.on('producerClosed', (id, participant, reason) => why.push(`${participant} ${id} ${reason}`));
    const renegotiated = nextOffer(bob.peer);
    await alice.peer.handlePublisherOffer(
      publisherOffer([
        { mid: '0', kind: 'video', inactive: true },
        { mid: '1', kind: 'audio' },
      ]),
    );
    expect(why).toEqual([`${alice.camId} producerclose`, `alice ${alice.camId} unpublished`]);
    expect(room.router.getProducer(alice.camId)).toBeUndefined();
    expect(room.router.getProducer(alice.micId)).toBeDefined();
    expect(sdpSections(await renegotiated)[0]!.direction).toBe('inactive');
  });
});

describe('Peer failure', () => {
  it('closes when a connection stays failed for the timeout, and not when it recovers in time', async () => {
    const bob = join(room, 'bob');
    const left: string[] = [];
    room.router.on('peerLeft', (id, reason) => left.push(`${id} ${reason}`));
    bob.sub.setState('failed');
    vi.advanceTimersByTime(FAILED_TIMEOUT_MS - 1);
    bob.sub.setState('connected');
    vi.advanceTimersByTime(FAILED_TIMEOUT_MS * 3);
    expect(bob.peer.isClosed).toBe(false);

    bob.pub.setState('failed');
    vi.advanceTimersByTime(FAILED_TIMEOUT_MS - 1);
    expect(bob.peer.isClosed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(bob.peer.isClosed).toBe(true);
    expect(left).toEqual(['bob connection failed']);
    expect(bob.pub.closed && bob.sub.closed).toBe(true);
  });

  it('a transport that fails inside closes only its own peer; the room keeps forwarding to the others', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    const carol = join(room, 'carol');
    for (const m of [bob, carol]) {
      m.peer.subscribe(alice.camId);
      await answerNextOffer(m.peer);
    }
    sendVideo(alice, 12);
    sendVideo(alice, 2, true);
    const toCarol = trackFor(carol.sub, alice.camId);
    const before = toCarol.sent.length;
    expect(before).toBeGreaterThan(0);

    const left: string[] = [];
    room.router.on('peerLeft', (id, reason) => left.push(`${id} ${reason}`));
    bob.sub.fail(new Error('DTLS state machine threw'));
    expect(left).toEqual(['bob error: DTLS state machine threw']);
    expect(bob.pub.closed && bob.sub.closed).toBe(true);
    expect(alice.peer.isClosed || carol.peer.isClosed).toBe(false);
    expect(room.router.getProducer(alice.camId)!.consumerCount).toBe(1);

    sendVideo(alice, 3);
    expect(toCarol.sent.length).toBe(before + 3 * alice.layers[2].packetsPerFrame);
    expectContinuous(parseSent(toCarol.sent));
  });

  it('refuses every call after close, and closing twice is harmless', async () => {
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    bob.peer.close('bye');
    bob.peer.close('again');
    expect(() => bob.peer.subscribe(alice.camId)).toThrow(InvalidStateError);
    expect(() => bob.peer.restartIce('subscriber')).toThrow(InvalidStateError);
    await expect(bob.peer.handlePublisherOffer(publisherOffer([]))).rejects.toBeInstanceOf(InvalidStateError);
    await expect(bob.peer.handleSubscriberAnswer(CLIENT_ANSWER)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(bob.peer.addIceCandidate('subscriber', null)).resolves.toBeUndefined();
  });
});
