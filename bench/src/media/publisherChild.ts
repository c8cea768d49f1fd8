// The load generator's publishers, in a process of their own. Beside the receivers (tens of thousands
// of packets a second on the same core) a publisher's paced send waited behind their work: after a
// stall of tens of milliseconds every publisher's due frames left at once, and the SFU was handed a
// burst that independent senders (a browser each) never produce. Here the event loop carries only the
// publishers' few hundred packets a second, and the parent raises the process's scheduling priority,
// so each frame leaves when its pacer says so.
import { performance } from 'node:perf_hooks';
import { replyTo } from './benchChild.js';
import { Pacer, SynthPublisher, waitConnected, type PublisherOptions } from './peers.js';
import type { IceCandidateInit } from './protocol.js';

export type ToPublishers =
  /** Creates a publisher and returns its offer; `originMs` is the receivers' performance.timeOrigin. */
  | { op: 'create'; reqId: number; id: string; opts: PublisherOptions; originMs: number }
  | { op: 'answer'; reqId: number; id: string; sdp: string }
  | { op: 'connected'; reqId: number; id: string; timeoutMs: number; what: string }
  | { op: 'start'; reqId: number; id: string }
  | { op: 'candidate'; id: string; candidate: IceCandidateInit | null }
  | { op: 'exit' };

// A 1 ms tick: cheap with this few packets, and a frame leaves within a millisecond of its due time
// instead of on the next 5 ms boundary, where frames of different publishers would meet.
const pacer = new Pacer(1);
const pubs = new Map<string, SynthPublisher>();

function pub(id: string): SynthPublisher {
  const p = pubs.get(id);
  if (!p) throw new Error(`no publisher ${id}`);
  return p;
}

function exit(): void {
  pacer.stop();
  for (const p of pubs.values()) p.close();
  // Let werift close its sockets; the parent kills the process if this does not end it.
  setTimeout(() => process.exit(0), 300);
}

process.on('message', (m: ToPublishers) => {
  switch (m.op) {
    case 'create':
      void replyTo(m.reqId, () => {
        const opts = { ...m.opts, clockOffsetMs: performance.timeOrigin - m.originMs };
        const p = new SynthPublisher(m.id, opts);
        pubs.set(m.id, p);
        return p.offer();
      });
      break;
    case 'answer':
      void replyTo(m.reqId, () => pub(m.id).setAnswer(m.sdp));
      break;
    case 'connected':
      void replyTo(m.reqId, () => waitConnected(pub(m.id).pc, m.timeoutMs, m.what));
      break;
    case 'start':
      void replyTo(m.reqId, () => {
        const p = pub(m.id);
        pacer.add(p);
        p.start(performance.now());
        return null;
      });
      break;
    case 'candidate':
      pubs.get(m.id)?.addRemoteCandidate(m.candidate);
      break;
    case 'exit':
      exit();
      break;
  }
});
process.on('disconnect', exit);
process.send?.({ ev: 'ready', pid: process.pid });
