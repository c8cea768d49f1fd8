// SFU side of the forward-cpu probe: a Router in its own process, driven over IPC, so that the
// CPU it reports (process.cpuUsage) is the SFU's alone, not the wrtc peers'.
import { Router, type Peer } from '../src/media/index.js';

type Msg =
  | { op: 'createPeer'; id: string }
  | { op: 'pubOffer'; reqId: number; id: string; sdp: string }
  | { op: 'subAnswer'; reqId: number; id: string; sdp: string }
  | { op: 'ice'; id: string; target: 'publisher' | 'subscriber'; candidate: never }
  | { op: 'measure'; reqId: number }
  | { op: 'exit' };

const send = (m: unknown): void => {
  process.send?.(m);
};
const router = new Router();
router.on('producerAdded', (p) => {
  for (const id of peers.keys()) if (id !== p.peerId) peers.get(id)!.subscribe(p.id);
});
const peers = new Map<string, Peer>();

process.on('message', (m: Msg) => {
  switch (m.op) {
    case 'createPeer': {
      const peer = router.createPeer(m.id);
      peers.set(m.id, peer);
      peer.on('subscriberOffer', (sdp) => send({ ev: 'subscriberOffer', id: m.id, sdp }));
      peer.on('iceCandidate', (target, candidate) =>
        send({ ev: 'iceCandidate', id: m.id, target, candidate }),
      );
      for (const p of router.listProducers()) if (p.peerId !== m.id) peer.subscribe(p.id);
      break;
    }
    case 'pubOffer':
      peers
        .get(m.id)!
        .handlePublisherOffer(m.sdp)
        .then(
          (value) => send({ ev: 'reply', reqId: m.reqId, ok: true, value }),
          (e: unknown) => send({ ev: 'reply', reqId: m.reqId, ok: false, error: String(e) }),
        );
      break;
    case 'subAnswer':
      peers
        .get(m.id)!
        .handleSubscriberAnswer(m.sdp)
        .then(
          () => send({ ev: 'reply', reqId: m.reqId, ok: true }),
          (e: unknown) => send({ ev: 'reply', reqId: m.reqId, ok: false, error: String(e) }),
        );
      break;
    case 'ice':
      void peers
        .get(m.id)
        ?.addIceCandidate(m.target, m.candidate)
        .catch(() => undefined);
      break;
    case 'measure':
      send({
        ev: 'reply',
        reqId: m.reqId,
        ok: true,
        value: { cpu: process.cpuUsage(), stats: router.stats.collect(), mem: process.memoryUsage().rss },
      });
      break;
    case 'exit':
      router.close();
      setTimeout(() => process.exit(0), 200);
      break;
  }
});
send({ ev: 'ready' });
