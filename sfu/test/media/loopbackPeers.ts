// Run inside a network namespace that has only `lo` (see loopbackOnly.test.ts): two libwebrtc peers
// meet through a Router on the transport named in argv[2] and the result is printed as one JSON line.
import { Router, type TransportKind } from '../../src/media/index.js';
import { waitFor, WrtcClient } from './wrtcClient.js';

const transport = (process.argv[2] ?? 'ndc') as TransportKind;
const router = new Router({ transport });
const candidates: string[] = [];
router.on('peerJoined', (peer) => {
  peer.on('iceCandidate', (_target, c) => {
    if (c) candidates.push(c.candidate);
  });
});
const alice = new WrtcClient('alice', { audio: false });
const bob = new WrtcClient('bob', { video: false, audio: false });
let result: Record<string, unknown>;
try {
  await bob.join(router);
  await alice.join(router);
  const producer = router.listProducers().find((p) => p.peerId === 'alice');
  if (!producer) throw new Error('alice published nothing');
  bob.peer.subscribe(producer.id);
  await waitFor(() => bob.media('alice').videoFrames >= 10, 30_000, 'bob decodes alice');
  // Candidates arrive in the SDP (gathered before the answer) or trickled.
  for (const sdp of [alice.pub.remoteDescription?.sdp, bob.sub.remoteDescription?.sdp]) {
    for (const l of (sdp ?? '').split(/\r?\n/)) if (l.startsWith('a=candidate:')) candidates.push(l.slice(2));
  }
  result = { ok: true, frames: bob.media('alice').videoFrames, candidates };
} catch (error) {
  result = { ok: false, error: String(error), candidates };
} finally {
  alice.close();
  bob.close();
  router.close();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
