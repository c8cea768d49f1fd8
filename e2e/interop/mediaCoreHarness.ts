// Stand-in for signaling while the interop test drives the SFU media core directly: HTTP routes for
// the SDP/ICE exchange and an event stream per participant, mapped onto Router/Peer calls. Every peer
// subscribes to every producer of the others, as the signaling tier does.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
// The sfu package has no root entry yet (sfu/src/index.ts); switch to '@origo/sfu' once it exists.
import {
  Router,
  type IceCandidateInit,
  type Peer,
  type TrackMeta,
  type TransportKind,
} from '../../sfu/src/media/index.js';
import {
  EventStream,
  sendJson,
  startTestServer,
  type RouteHandler,
  type TestServer,
} from '../lib/httpServer.js';

interface Participant {
  peer: Peer;
  events: EventStream;
}

export interface MediaCoreHarness {
  readonly url: string;
  readonly router: Router;
  close(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));

async function serveFile(res: ServerResponse, name: string, type: string): Promise<void> {
  const body = await readFile(`${here}${name}`);
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

export async function startMediaCoreHarness(transport: TransportKind): Promise<MediaCoreHarness> {
  const router = new Router({ roomId: 'interop', transport });
  const participants = new Map<string, Participant>();

  const participant = (id: string): Participant => {
    let p = participants.get(id);
    if (p !== undefined) return p;
    const peer = router.createPeer(id);
    const events = new EventStream();
    peer.on('subscriberOffer', (sdp) => events.send('subscriberOffer', { sdp }));
    peer.on('iceCandidate', (target, candidate) => events.send('candidate', { target, candidate }));
    p = { peer, events };
    participants.set(id, p);
    return p;
  };

  const subscribeAll = (peer: Peer): void => {
    for (const prod of router.listProducers()) {
      if (prod.peerId !== peer.participantId && !peer.getConsumer(prod.id)) peer.subscribe(prod.id);
    }
  };

  router.on('producerAdded', (prod) => {
    for (const { peer } of participants.values()) {
      if (!peer.isClosed && peer.participantId !== prod.peerId) peer.subscribe(prod.id);
    }
  });

  const idOf = (url: string | undefined): { id: string; action: string } => {
    const parts = new URL(url ?? '/', 'http://x').pathname.split('/');
    return { id: decodeURIComponent(parts[2] ?? ''), action: parts[3] ?? '' };
  };

  const api: RouteHandler = async (req, res, body) => {
    const { id, action } = idOf(req.url);
    if (id === '') return sendJson(res, 400, { error: 'participant id missing' });
    const p = participant(id);
    const b = (body ?? {}) as Record<string, unknown>;
    switch (`${req.method} ${action}`) {
      case 'GET events':
        p.events.attach(res);
        return;
      case 'POST offer': {
        const answer = await p.peer.handlePublisherOffer(String(b.sdp), (b.meta ?? []) as TrackMeta[]);
        return sendJson(res, 200, { sdp: answer });
      }
      case 'POST answer':
        await p.peer.handleSubscriberAnswer(String(b.sdp));
        return sendJson(res, 200, {});
      case 'POST candidate':
        await p.peer.addIceCandidate(
          b.target === 'subscriber' ? 'subscriber' : 'publisher',
          (b.candidate ?? null) as IceCandidateInit | null,
        );
        return sendJson(res, 200, {});
      case 'POST subscribe':
        subscribeAll(p.peer);
        return sendJson(res, 200, {});
      default:
        return sendJson(res, 404, { error: `unknown action ${action}` });
    }
  };

  const server: TestServer = await startTestServer({
    'GET /': (_req, res) => serveFile(res, 'page.html', 'text/html; charset=utf-8'),
    'GET /page.js': (_req, res) => serveFile(res, 'page.js', 'text/javascript; charset=utf-8'),
    'GET /api/*': api,
    'POST /api/*': api,
  });

  return {
    url: server.url,
    router,
    close: async () => {
      for (const p of participants.values()) p.events.close();
      router.close();
      await server.close();
    },
  };
}
