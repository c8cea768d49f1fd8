// The SFU under test: one media Router in its own process (pinned to its own core by the parent),
// driven over IPC the way signaling will drive it. Everything it reports (CPU, RSS, counters) is
// the SFU's alone, never the load generator's.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { replyTo } from './benchChild.js';
import type { FromSfu, SfuMeasure, ToSfu } from './protocol.js';
import { loadSfu, type BenchPeer } from './sfuLoader.js';

const send = (m: FromSfu): void => {
  process.send?.(m);
};

const CLK_TCK = 100;
function procCpuUs(): number {
  try {
    // Fields after the parenthesised command name: utime is the 12th, stime the 13th (proc(5)).
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1e6) / CLK_TCK;
  } catch {
    return -1;
  }
}

const { Router, source } = await loadSfu();
const transport = process.env['BENCH_SFU_TRANSPORT'] === 'ndc' ? 'ndc' : 'werift';
const router = new Router({ transport, werift: { ipv4Only: true } });
const peers = new Map<string, BenchPeer>();
const subscribeAll = new Set<string>();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let lastElu = performance.eventLoopUtilization();

function subscribeSafe(peer: BenchPeer, producerId: string): void {
  try {
    peer.subscribe(producerId);
  } catch (error) {
    console.error(`sfu child: subscribe ${peer.participantId} -> ${producerId}: ${String(error)}`);
  }
}

router.on('producerAdded', ((p: { id: string; peerId: string }) => {
  for (const id of subscribeAll) if (id !== p.peerId) subscribeSafe(peers.get(id)!, p.id);
}) as (...args: never[]) => void);

function measure(gc: boolean): SfuMeasure {
  const cpu = process.cpuUsage();
  // Memory samples only: a full collection first, so RSS and heap are not the garbage of the moment.
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  const elu = performance.eventLoopUtilization(lastElu);
  lastElu = performance.eventLoopUtilization();
  const m: SfuMeasure = {
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    procCpuUs: procCpuUs(),
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    elu: elu.utilization,
    // The histogram includes the 10 ms sampling interval; report the delay beyond it.
    loopDelayP99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - 10),
    stats: router.stats.collect() as Record<string, number>,
    peers: peers.size,
    wallMs: performance.now(),
  };
  loopDelay.reset();
  return m;
}

process.on('message', (m: ToSfu) => {
  switch (m.op) {
    case 'createPeer':
      void replyTo(m.reqId, () => {
        const peer = router.createPeer(m.id);
        peers.set(m.id, peer);
        const id = m.id;
        peer.on('subscriberOffer', ((sdp: string) => send({ ev: 'subscriberOffer', id, sdp })) as never);
        peer.on('iceCandidate', ((target: 'publisher' | 'subscriber', candidate: never) =>
          send({ ev: 'iceCandidate', id, target, candidate })) as never);
        peer.on('connectionState', ((target: 'publisher' | 'subscriber', state: string) =>
          send({ ev: 'connectionState', id, target, state })) as never);
        peer.on('close', ((reason: string) => {
          peers.delete(id);
          subscribeAll.delete(id);
          send({ ev: 'peerClosed', id, reason });
        }) as never);
        if (m.subscribeAll) {
          subscribeAll.add(id);
          for (const p of router.listProducers()) if (p.peerId !== id) subscribeSafe(peer, p.id);
        }
        return null;
      });
      break;
    case 'pubOffer':
      void replyTo(m.reqId, () => {
        const peer = peers.get(m.id);
        if (!peer) throw new Error(`no peer ${m.id}`);
        return peer.handlePublisherOffer(m.sdp, m.meta);
      });
      break;
    case 'subAnswer':
      void replyTo(m.reqId, () => {
        const peer = peers.get(m.id);
        if (!peer) throw new Error(`no peer ${m.id}`);
        return peer.handleSubscriberAnswer(m.sdp);
      });
      break;
    case 'ice':
      void peers
        .get(m.id)
        ?.addIceCandidate(m.target, m.candidate)
        .catch(() => undefined);
      break;
    case 'closePeer':
      void replyTo(m.reqId, () => {
        peers.get(m.id)?.close('bench');
        return null;
      });
      break;
    case 'measure':
      void replyTo(m.reqId, () => measure(m.gc === true));
      break;
    case 'exit':
      router.close();
      // Let werift close its sockets; the parent kills the process if this does not end it.
      setTimeout(() => process.exit(0), 300);
      break;
  }
});
process.on('disconnect', () => {
  router.close();
  setTimeout(() => process.exit(0), 300);
});
send({ ev: 'ready', pid: process.pid, source: `${source} on ${transport}` });
