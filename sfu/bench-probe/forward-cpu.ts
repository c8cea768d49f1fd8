// Measures (1) join-to-first-decoded-frame for a wrtc subscriber and (2) SFU CPU per forwarded
// packet with one publisher and four subscribers. The SFU runs in a child process (sfu-child.ts);
// CPU is the child's process.cpuUsage() delta over a window divided by MediaStats.packetsOut
// delta over the same window, so the wrtc peers (this process) are not counted.
// Run: cd sfu && npx tsx bench-probe/forward-cpu.ts [seconds=10] [width=1280] [height=720]
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { IceCandidateInit, MediaStatsSnapshot, TrackMeta, TransportTarget } from '../src/media/index.js';
import { waitFor, WrtcClient, type PeerLike } from '../test/media/wrtcClient.js';

const seconds = Number(process.argv[2] ?? 10);
const width = Number(process.argv[3] ?? 1280);
const height = Number(process.argv[4] ?? 720);

const child = fork(fileURLToPath(new URL('./sfu-child.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
let reqId = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
const remotePeers = new Map<string, RemotePeer>();

function request<T>(msg: Record<string, unknown>): Promise<T> {
  const id = ++reqId;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    child.send({ ...msg, reqId: id });
  });
}

class RemotePeer extends EventEmitter implements PeerLike {
  constructor(readonly id: string) {
    super();
  }
  handlePublisherOffer(sdp: string, _meta?: readonly TrackMeta[]): Promise<string> {
    return request<string>({ op: 'pubOffer', id: this.id, sdp });
  }
  handleSubscriberAnswer(sdp: string): Promise<void> {
    return request<void>({ op: 'subAnswer', id: this.id, sdp });
  }
  addIceCandidate(target: TransportTarget, candidate: IceCandidateInit | null): Promise<void> {
    child.send({ op: 'ice', id: this.id, target, candidate });
    return Promise.resolve();
  }
}

const remoteRouter = {
  createPeer(id: string): RemotePeer {
    const p = new RemotePeer(id);
    remotePeers.set(id, p);
    child.send({ op: 'createPeer', id });
    return p;
  },
};

type Ev =
  | { ev: 'ready' }
  | { ev: 'reply'; reqId: number; ok: boolean; value?: unknown; error?: string }
  | { ev: 'subscriberOffer'; id: string; sdp: string }
  | { ev: 'iceCandidate'; id: string; target: TransportTarget; candidate: IceCandidateInit | null };

const ready = new Promise<void>((resolve) => {
  child.on('message', (m: Ev) => {
    if (m.ev === 'ready') resolve();
    else if (m.ev === 'reply') {
      const p = pending.get(m.reqId);
      pending.delete(m.reqId);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(m.error));
    } else if (m.ev === 'subscriberOffer') remotePeers.get(m.id)?.emit('subscriberOffer', m.sdp);
    else if (m.ev === 'iceCandidate') remotePeers.get(m.id)?.emit('iceCandidate', m.target, m.candidate);
  });
});

interface Measure {
  cpu: NodeJS.CpuUsage;
  stats: MediaStatsSnapshot;
  mem: number;
}

async function main(): Promise<void> {
  await ready;
  const clients: WrtcClient<RemotePeer>[] = [];
  try {
    const pub = new WrtcClient<RemotePeer>('pub', { width, height, fps: 30, noise: true, audio: true });
    clients.push(pub);
    await pub.join(remoteRouter);
    // Let the publisher's layers come up before subscribers join.
    await new Promise((r) => setTimeout(r, 3000));
    const joinMs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = new WrtcClient<RemotePeer>(`sub${i}`, { video: false, audio: false });
      clients.push(s);
      await s.join(remoteRouter);
      await waitFor(() => s.media('pub').videoFrames > 0, 30_000, `sub${i} first frame`);
      joinMs.push(s.media('pub').firstFrameAt - s.joinedAt);
    }
    await new Promise((r) => setTimeout(r, 3000));
    const a = await request<Measure>({ op: 'measure' });
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = await request<Measure>({ op: 'measure' });
    const wall = (performance.now() - t0) / 1000;
    const cpuUs = b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);
    const out = b.stats.packetsOut - a.stats.packetsOut;
    const inn = b.stats.packetsIn - a.stats.packetsIn;
    const sorted = [...joinMs].sort((x, y) => x - y);
    const result = {
      source: `${width}x${height}@30 simulcast noise`,
      joinToFirstFrameMs: joinMs.map((x) => Math.round(x)),
      joinToFirstFrameMedianMs: Math.round((sorted[1]! + sorted[2]!) / 2),
      windowSeconds: Math.round(wall * 10) / 10,
      packetsInPerSec: Math.round(inn / wall),
      packetsOutPerSec: Math.round(out / wall),
      mbpsOut: Math.round(((b.stats.bytesOut - a.stats.bytesOut) * 8) / wall / 1e4) / 100,
      sfuCpuPercentOfOneCore: Math.round((cpuUs / 1e6 / wall) * 1000) / 10,
      sfuCpuUsPerForwardedPacket: Math.round((cpuUs / out) * 10) / 10,
      sfuCpuUsPerPacketInOrOut: Math.round((cpuUs / (out + inn)) * 10) / 10,
      retransmissions: b.stats.retransmissionsSent - a.stats.retransmissionsSent,
      layers: clients.slice(1).map((c) => `${c.media('pub').width}x${c.media('pub').height}`),
      sfuRssMb: Math.round(b.mem / 1e6),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const c of clients) c.close();
    child.send({ op: 'exit' });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  child.kill();
  process.exitCode = 1;
});
