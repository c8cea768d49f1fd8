// Parent side of --via signaling: spawns signalingChild.ts (pinned like the IPC child) and joins each
// synthetic peer to a real room through the signaling WebSocket (JSON protocol: join with a token,
// publishOffer / publisherAnswer, subscriberOffer / subscriberAnswer, trickle). It offers the same
// surface MediaSession uses from SfuProcess, so the rest of the bench is unchanged.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { IceCandidateInit, SfuMeasure, TrackMetaMsg, TransportTarget } from './protocol.js';
import type { FromSignalingChild, ToSignalingChild } from './signalingChild.js';
import { BenchChild } from './benchChild.js';
import type { SfuEvents, SfuProcessOptions } from './sfuProcess.js';

const ROOM = 'bench-room';
type Json = Record<string, unknown>;

/** One participant's signaling socket. */
class SignalPeer {
  private seq = 0;
  private readonly waiting = new Map<string, (m: Json) => void>();
  private readonly pinger: NodeJS.Timeout;

  constructor(
    readonly ws: WebSocket,
    onPush: (m: Json) => void,
  ) {
    // Signaling closes a socket that stays silent past SIGNAL_IDLE_TIMEOUT_MS (30 s): a long run
    // (60 subscribers joining under load) would lose its publisher. Ping as the web client does.
    this.pinger = setInterval(() => this.send({ ping: { timestampMs: String(Date.now()) } }), 5000);
    this.pinger.unref();
    ws.on('close', () => clearInterval(this.pinger));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Json;
      const rid = m['requestId'];
      if (typeof rid === 'string' && rid !== '' && this.waiting.has(rid)) {
        const w = this.waiting.get(rid)!;
        this.waiting.delete(rid);
        w(m);
      } else onPush(m);
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, onPush: (m: Json) => void): Promise<SignalPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const p = new SignalPeer(ws, onPush);
      ws.once('open', () => resolve(p));
      ws.once('error', reject);
    });
  }

  send(m: Json): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  request(body: Json, timeoutMs = 20_000): Promise<Json> {
    const requestId = `r${++this.seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(new Error(`signaling: no reply to ${Object.keys(body).join(',')} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(requestId, (m) => {
        clearTimeout(timer);
        if ('error' in m) reject(new Error(`signaling error: ${JSON.stringify(m['error'])}`));
        else resolve(m);
      });
      this.send({ requestId, ...body });
    });
  }

  close(): void {
    clearInterval(this.pinger);
    this.ws.close();
  }
}

const TARGETS: Record<string, TransportTarget> = {
  SIGNAL_TARGET_PUBLISHER: 'publisher',
  SIGNAL_TARGET_SUBSCRIBER: 'subscriber',
};

export class SignalingSfu extends EventEmitter<SfuEvents> {
  readonly child: ChildProcess;
  readonly pinned: boolean;
  pid = 0;
  source = '';
  wsUrl = '';
  private readonly proc: BenchChild;
  private readonly peers = new Map<string, SignalPeer>();
  private readonly offerIds = new Map<string, number>();
  private readonly ready: Promise<void>;

  constructor(opts: SfuProcessOptions) {
    super();
    let markReady: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (markReady = resolve));
    this.proc = new BenchChild({
      name: 'signaling child',
      script: 'signalingChild.ts',
      cpu: opts.cpu,
      nodeArgs: [
        '--expose-gc',
        ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
      ],
      env: { ...process.env, BENCH_SFU_TRANSPORT: opts.transport },
      onMessage: (msg) => {
        const m = msg as unknown as FromSignalingChild;
        if (m.ev !== 'ready') return;
        this.pid = m.pid;
        this.source = m.source;
        this.wsUrl = m.wsUrl;
        markReady();
      },
    });
    this.child = this.proc.child;
    this.pinned = this.proc.pinned;
    this.ready = this.proc.started(started, 'signaling child');
  }

  start(): Promise<void> {
    return this.ready;
  }

  private request<T>(msg: Record<string, unknown> & { op: ToSignalingChild['op'] }): Promise<T> {
    return this.proc.request<T>(msg);
  }

  private onPush(id: string, m: Json): void {
    if ('subscriberOffer' in m) {
      const o = m['subscriberOffer'] as { sdp: string; id?: number };
      this.offerIds.set(id, o.id ?? 0);
      this.emit('subscriberOffer', id, o.sdp);
    } else if ('trickle' in m) {
      const t = m['trickle'] as {
        target: string;
        candidate: string;
        sdpMid?: string;
        sdpMlineIndex?: number;
      };
      const target = TARGETS[t.target];
      if (!target) return;
      const c: IceCandidateInit | null =
        typeof t.candidate !== 'string' || t.candidate === ''
          ? null
          : { candidate: t.candidate, sdpMid: t.sdpMid ?? null, sdpMLineIndex: t.sdpMlineIndex ?? null };
      this.emit('iceCandidate', id, target, c);
    } else if ('leave' in m) {
      this.emit('peerClosed', id, JSON.stringify(m['leave']));
    }
  }

  /** Opens a socket and joins the room; publishers get publish-only grants, subscribers subscribe-only. */
  async createPeer(id: string, subscribeAll: boolean): Promise<void> {
    const token = await this.request<string>({
      op: 'token',
      identity: id,
      room: ROOM,
      publish: !subscribeAll,
      subscribe: subscribeAll,
    });
    const peer = await SignalPeer.open(this.wsUrl, (m) => this.onPush(id, m));
    this.peers.set(id, peer);
    const reply = await peer.request({ join: { token } });
    if (!('joinResponse' in reply)) throw new Error(`join failed: ${JSON.stringify(reply)}`);
  }

  async publisherOffer(id: string, sdp: string, _meta: TrackMetaMsg[]): Promise<string> {
    const peer = this.peers.get(id);
    if (!peer) throw new Error(`no peer ${id}`);
    const reply = await peer.request({ publishOffer: { sdp, id: 1 } });
    const answer = reply['publisherAnswer'] as { sdp: string } | undefined;
    if (!answer) throw new Error(`publish failed: ${JSON.stringify(reply)}`);
    return answer.sdp;
  }

  async subscriberAnswer(id: string, sdp: string): Promise<void> {
    const peer = this.peers.get(id);
    if (!peer) throw new Error(`no peer ${id}`);
    await peer.request({ subscriberAnswer: { sdp, id: this.offerIds.get(id) ?? 0 } });
  }

  ice(id: string, target: TransportTarget, candidate: IceCandidateInit | null): void {
    if (!candidate) return;
    this.peers.get(id)?.send({
      trickle: {
        target: target === 'publisher' ? 'SIGNAL_TARGET_PUBLISHER' : 'SIGNAL_TARGET_SUBSCRIBER',
        candidate: candidate.candidate,
        ...(candidate.sdpMid ? { sdpMid: candidate.sdpMid } : {}),
        ...(typeof candidate.sdpMLineIndex === 'number' ? { sdpMlineIndex: candidate.sdpMLineIndex } : {}),
      },
    });
  }

  closePeer(id: string): Promise<void> {
    this.peers.get(id)?.close();
    this.peers.delete(id);
    return Promise.resolve();
  }

  measure(gc = false): Promise<SfuMeasure> {
    return this.request({ op: 'measure', gc });
  }

  async stop(graceMs = 5000): Promise<void> {
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    await this.proc.stop({ op: 'exit' } satisfies ToSignalingChild, graceMs);
  }
}
