// ICE restart on both connections of a participant (RFC 8839 section 4.4.1.1.1): new credentials
// are negotiated and media keeps flowing, on each transport.
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
    const answer = await alice.peer.handlePublisherOffer(alice.pub.localDescription!.sdp);
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
});
