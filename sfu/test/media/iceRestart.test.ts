// ICE restart on both connections of a participant (RFC 8839 section 4.4.1.1.1): new credentials
// are negotiated and media keeps flowing, on each transport.
import { gatheredLocalSdp } from '@origo/kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/media/index.js';
import { transportsUnderTest } from './transports.js';
import { waitFor, WrtcClient } from './wrtcClient.js';

const DEADLINE = 30_000;
let router: Router | undefined;
let clients: WrtcClient[] = [];

afterEach(() => {
  for (const c of clients) c.close();
  clients = [];
  router?.close();
  router = undefined;
});

const ufragOf = (sdp: string | undefined): string => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? '';

describe.each(transportsUnderTest())('ICE restart on %s', (transport) => {
  it('keeps media flowing after the subscriber and then the publisher restart ICE', async () => {
    router = new Router({ transport });
    const r = router;
    const alice = new WrtcClient('alice', { audio: false });
    const bob = new WrtcClient('bob', { video: false, audio: false });
    clients.push(alice, bob);
    await bob.join(r);
    await alice.join(r);
    const producer = r.listProducers().find((p) => p.peerId === 'alice')!;
    bob.peer.subscribe(producer.id);
    const m = bob.media('alice');
    await waitFor(() => m.videoFrames >= 10, DEADLINE, 'bob decodes alice');

    // Subscriber: the SFU offers new credentials; bob answers; frames continue.
    const subUfrag = ufragOf(bob.sub.remoteDescription?.sdp);
    bob.peer.restartIce('subscriber');
    await waitFor(
      () => ufragOf(bob.sub.remoteDescription?.sdp) !== subUfrag && bob.sub.connectionState === 'connected',
      DEADLINE,
      'subscriber restarted',
      () => bob.sub.connectionState,
    );
    const afterSub = m.videoFrames;
    await waitFor(() => m.videoFrames >= afterSub + 20, DEADLINE, 'frames after the subscriber restart');

    // Publisher: alice offers with iceRestart; the SFU answers with new credentials.
    const pubUfrag = ufragOf(alice.pub.remoteDescription?.sdp);
    alice.peer.restartIce('publisher');
    const offer = await alice.pub.createOffer({ iceRestart: true });
    await alice.pub.setLocalDescription(offer);
    const answer = await alice.peer.handlePublisherOffer(await gatheredLocalSdp(alice.pub));
    await alice.pub.setRemoteDescription({ type: 'answer', sdp: answer });
    expect(ufragOf(answer)).not.toBe(pubUfrag);
    await waitFor(() => alice.pub.connectionState === 'connected', DEADLINE, 'publisher reconnected');
    const afterPub = m.videoFrames;
    await waitFor(
      () => m.videoFrames >= afterPub + 20,
      DEADLINE,
      'frames after the publisher restart',
      () => ({
        pub: alice.pub.connectionState,
        stats: r.stats.collect(),
      }),
    );
  });

  // A browser coming back from a network outage restarts ICE and checks the SFU's new candidates at once;
  // its own candidates may arrive later, or never. The SFU must still check, nominate and send on the new
  // generation with only the peer-reflexive address it learns from those checks.
  it('sends media again after a restart whose client candidates never reach the SFU', async () => {
    router = new Router({ transport });
    const r = router;
    const alice = new WrtcClient('alice', { audio: false });
    const bob = new WrtcClient('bob', { video: false, audio: false });
    clients.push(alice, bob);
    await bob.join(r);
    await alice.join(r);
    const producer = r.listProducers().find((p) => p.peerId === 'alice')!;
    bob.peer.subscribe(producer.id);
    const m = bob.media('alice');
    await waitFor(() => m.videoFrames >= 10, DEADLINE, 'bob decodes alice');
    alice.trickleToSfu = false;
    bob.trickleToSfu = false;

    // Subscriber (the SFU offers and is controlling): frames continue only if the SFU sends on the new pair.
    const subUfrag = ufragOf(bob.sub.remoteDescription?.sdp);
    bob.peer.restartIce('subscriber');
    await waitFor(
      () => ufragOf(bob.sub.remoteDescription?.sdp) !== subUfrag,
      DEADLINE,
      'subscriber offer with new credentials',
    );
    const afterSub = m.videoFrames;
    await waitFor(
      () => m.videoFrames >= afterSub + 20,
      DEADLINE,
      'frames after the subscriber restart',
      () => ({
        sub: bob.sub.connectionState,
      }),
    );

    // Publisher (the client offers): the SFU's RTCP (PLI, receiver reports) must reach alice again, which
    // a new subscriber needs for its first key frame.
    const pubUfrag = ufragOf(alice.pub.remoteDescription?.sdp);
    alice.peer.restartIce('publisher');
    const offer = await alice.pub.createOffer({ iceRestart: true });
    await alice.pub.setLocalDescription(offer);
    const answer = await alice.peer.handlePublisherOffer(alice.sdpForSfu(await gatheredLocalSdp(alice.pub)));
    await alice.pub.setRemoteDescription({ type: 'answer', sdp: answer });
    expect(ufragOf(answer)).not.toBe(pubUfrag);
    const afterPub = m.videoFrames;
    await waitFor(() => m.videoFrames >= afterPub + 20, DEADLINE, 'frames after the publisher restart');
    const carol = new WrtcClient('carol', { video: false, audio: false });
    clients.push(carol);
    await carol.join(r);
    carol.peer.subscribe(producer.id);
    const c = carol.media('alice');
    await waitFor(
      () => c.videoFrames >= 10,
      DEADLINE,
      'a new subscriber decodes alice',
      () => ({
        pub: alice.pub.connectionState,
        stats: r.stats.collect(),
      }),
    );
  });
});
