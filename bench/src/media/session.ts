// One bench session: the SFU child, the generator's peers, the direct baseline pair, and
// measurement windows. The CLI's single run and --find-max are both built from these steps.
import { performance } from 'node:perf_hooks';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { percentile } from '../stats.js';
import { NdcSynthSubscriber } from './ndcSubscriber.js';
import { Recorder, SynthSubscriber, type BenchSubscriber } from './peers.js';
import type { SfuMeasure } from './protocol.js';
import { InlinePublishers, PublisherProcess, type BenchPublisher, type PublisherHost } from './publishers.js';
import { pinProcess, SfuProcess, type BenchTransport } from './sfuProcess.js';
import { SignalingSfu } from './signalingSfu.js';
import { udpDrops } from '../udpDrops.js';
import type { AudioProfile, VideoProfile } from './synthetic.js';
import { WireCapture, type WireLatency } from './wireLatency.js';

export interface SessionOptions {
  video: VideoProfile | null;
  audio: AudioProfile | null;
  /** Pin the SFU to CPU 1 and the generator to CPU 0. */
  pin: boolean;
  cpuProfDir?: string;
  /** Subscribers joining at the same time. */
  joinConcurrency: number;
  /** Per-join time limit for the first video packet, ms. */
  firstMediaTimeoutMs: number;
  log: (line: string) => void;
  /** 'ipc' (default): a bare Router over IPC; 'signaling': real rooms through signaling and a worker. */
  via?: 'ipc' | 'signaling';
  /** The SFU's transport (default werift). */
  transport?: BenchTransport;
  /** The generator's receiving stack (default ndc: native decryption keeps one core ahead of the SFU). */
  receivers?: BenchReceivers;
  /** Publishers on the generator's event loop instead of a process of their own (publishers.ts). */
  inlinePublishers?: boolean;
}

/** The WebRTC stack of the generator's subscribers. */
export type BenchReceivers = 'ndc' | 'werift';

export interface WindowResult {
  seconds: number;
  publishers: number;
  subscribers: number;
  sfu: {
    packetsInPerSec: number;
    forwardedPacketsPerSec: number;
    /** RTP payload bits forwarded per second / 1e6 (headers, SRTP tag and UDP/IP not included). */
    forwardedPayloadMbitPerSec: number;
    /** Payload plus 12 B RTP header, ~8 B header extensions, 10 B SRTP tag, 28 B IPv4/UDP. */
    forwardedWireMbitPerSec: number;
    cpuPercentOfOneCore: number;
    /** Same from /proc/<pid>/stat (10 ms ticks), as a cross-check. */
    procCpuPercentOfOneCore: number;
    cpuUsPerForwardedPacket: number;
    cpuUsPerPacketInOrOut: number;
    eventLoopUtilization: number;
    loopDelayP99Ms: number;
    rssMb: number;
    retransmissionsSent: number;
    nacksReceived: number;
    plisSent: number;
    containedErrors: number;
  };
  generator: { cpuPercentOfOneCore: number; eventLoopUtilization: number; loopDelayP99Ms: number };
  latencyMs: {
    sfuP50: number;
    sfuP99: number;
    sfuMax: number;
    directP50: number;
    directP99: number;
    addedP50: number;
    addedP99: number;
  };
  loss: {
    sfuPercent: number;
    directPercent: number;
    sfuExpected: number;
    sfuLost: number;
    sfuDuplicates: number;
    directExpected: number;
  };
  receivedPacketsPerSec: { sfu: number; direct: number };
  /** Datagrams the kernel dropped for full receive buffers during the window, by socket owner. */
  udpReceiveDrops: { sfuSockets: number; generatorSockets: number };
  /** SFU-added latency from kernel timestamps on loopback (null when tcpdump could not run). */
  wire: WireLatency | null;
}

export interface JoinTimes {
  firstVideoMs: number[];
  firstAudioMs: number[];
  failed: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class MediaSession {
  readonly sfu: SfuProcess | SignalingSfu;
  readonly recorder = new Recorder();
  readonly publishers: BenchPublisher[] = [];
  /** Where the publishers run (their own process unless the options say inline). */
  readonly pubHost: PublisherHost;
  readonly subscribers: BenchSubscriber[] = [];
  readonly join: JoinTimes = { firstVideoMs: [], firstAudioMs: [], failed: 0 };
  generatorPinned = false;
  private readonly subsById = new Map<string, BenchSubscriber>();
  private readonly pubsById = new Map<string, BenchPublisher>();
  private direct: { pub: BenchPublisher; sub: BenchSubscriber } | null = null;
  private seed = 1;
  private readonly genLoopDelay = monitorEventLoopDelay({ resolution: 10 });
  /** Connection states the SFU reported per participant (IPC mode), for failure messages. */
  private readonly states = new Map<string, string[]>();
  /** The SFU's UDP ports, from the candidates it announced (what the wire capture filters on). */
  readonly sfuPorts = new Set<number>();

  constructor(private readonly opts: SessionOptions) {
    if (opts.pin) this.generatorPinned = pinProcess(process.pid, 0);
    this.pubHost = opts.inlinePublishers ? new InlinePublishers() : new PublisherProcess(opts.pin ? 0 : null);
    const sfuOpts: { cpu: number | null; cpuProfDir?: string; transport: BenchTransport } = {
      cpu: opts.pin ? 1 : null,
      transport: opts.transport ?? 'werift',
    };
    if (opts.cpuProfDir) sfuOpts.cpuProfDir = opts.cpuProfDir;
    this.sfu = opts.via === 'signaling' ? new SignalingSfu(sfuOpts) : new SfuProcess(sfuOpts);
    this.sfu.on('subscriberOffer', (id, sdp) => {
      this.notePorts(sdp);
      const sub = this.subsById.get(id);
      if (!sub) return;
      sub
        .answer(sdp)
        .then((answer) => this.sfu.subscriberAnswer(id, answer))
        .then(() => sub.answerDelivered())
        .catch((e: unknown) => opts.log(`subscriber ${id}: negotiation failed: ${String(e)}`));
    });
    this.sfu.on('iceCandidate', (id, target, c) => {
      if (c) this.notePorts(c.candidate);
      if (target === 'publisher') this.pubsById.get(id)?.addRemoteCandidate(c);
      else this.subsById.get(id)?.addRemoteCandidate(c);
    });
    this.sfu.on('peerClosed', (id, reason) => opts.log(`SFU closed peer ${id}: ${reason}`));
    this.sfu.on('connectionState', (id, target, state) => {
      const list = this.states.get(id) ?? [];
      list.push(`${target[0]}:${state}`);
      this.states.set(id, list);
      if (state === 'failed' || state === 'disconnected')
        opts.log(`SFU: ${target} connection of ${id} ${state}`);
    });
    this.genLoopDelay.enable();
  }

  private newSubscriber(id: string, path: 'sfu' | 'direct'): BenchSubscriber {
    return this.opts.receivers === 'werift'
      ? new SynthSubscriber(id, this.recorder, path)
      : new NdcSynthSubscriber(id, this.recorder, path);
  }

  private notePorts(text: string): void {
    for (const m of text.matchAll(/candidate:\S+ \d+ udp \d+ \S+ (\d+) typ/gi))
      this.sfuPorts.add(Number(m[1]));
  }

  async start(): Promise<void> {
    await this.sfu.start();
    await this.pubHost.start();
  }

  async addPublishers(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const id = `pub${this.publishers.length}`;
      const pub = this.pubHost.create(id, {
        video: this.opts.video,
        audio: this.opts.audio,
        seed: this.seed++,
      });
      this.pubsById.set(id, pub);
      this.publishers.push(pub);
      await this.sfu.createPeer(id, false);
      const { sdp, meta } = await pub.offer();
      const answer = await this.sfu.publisherOffer(id, sdp, meta);
      this.notePorts(answer);
      await pub.setAnswer(answer);
      await pub.connected(15_000, `publisher ${id}`);
      await pub.start();
    }
  }

  /** The direct loopback baseline: one more publisher sending straight to one receiver. */
  async startDirect(): Promise<void> {
    if (this.direct) return;
    const pub = this.pubHost.create('direct-pub', {
      video: this.opts.video,
      audio: this.opts.audio,
      seed: 999,
    });
    const sub = this.newSubscriber('direct-sub', 'direct');
    const { sdp } = await pub.offer();
    const answer = await sub.answer(sdp);
    await pub.setAnswer(answer);
    sub.answerDelivered();
    await pub.connected(15_000, 'direct publisher');
    await pub.start();
    this.direct = { pub, sub };
  }

  /** Joins n subscribers (each subscribes to every publisher); records time to first media. */
  async addSubscribers(n: number): Promise<void> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(`sub${this.subscribers.length + i}`);
    const batch = Math.max(1, this.opts.joinConcurrency);
    for (let i = 0; i < ids.length; i += batch) {
      await Promise.all(ids.slice(i, i + batch).map((id) => this.joinOne(id)));
    }
  }

  private async joinOne(id: string): Promise<void> {
    const sub = this.newSubscriber(id, 'sfu');
    this.subsById.set(id, sub);
    this.subscribers.push(sub);
    sub.timing.joinStartMs = performance.now();
    try {
      await this.sfu.createPeer(id, true);
      const deadline = performance.now() + this.opts.firstMediaTimeoutMs;
      const needVideo = this.opts.video !== null;
      const needAudio = this.opts.audio !== null;
      while (performance.now() < deadline) {
        const t = sub.timing;
        if ((!needVideo || t.firstVideoMs > 0) && (!needAudio || t.firstAudioMs > 0)) break;
        await sleep(5);
      }
      const t = sub.timing;
      if (needVideo && t.firstVideoMs > 0) this.join.firstVideoMs.push(t.firstVideoMs - t.joinStartMs);
      if (needAudio && t.firstAudioMs > 0) this.join.firstAudioMs.push(t.firstAudioMs - t.joinStartMs);
      if ((needVideo && t.firstVideoMs === 0) || (needAudio && t.firstAudioMs === 0)) {
        this.join.failed++;
        this.opts.log(
          `subscriber ${id}: no media within ${this.opts.firstMediaTimeoutMs} ms ` +
            `(SFU states ${(this.states.get(id) ?? []).join(',') || 'none'}, generator ${sub.connectionState})`,
        );
      }
    } catch (e) {
      this.join.failed++;
      this.opts.log(`subscriber ${id}: join failed: ${String(e)}`);
    }
  }

  /** With gc: a memory sample after a full collection in the SFU child. */
  async sfuMeasure(gc = false): Promise<SfuMeasure> {
    return this.sfu.measure(gc);
  }

  /** Measures one window of `seconds` with the load as it stands; `wire` adds the kernel capture. */
  async measureWindow(seconds: number, wire = false): Promise<WindowResult> {
    const capture = wire ? await WireCapture.start(this.sfuPorts, this.opts.log) : null;
    const a = await this.sfu.measure();
    const dropsA = { sfu: udpDrops(this.sfu.pid), gen: udpDrops(process.pid) };
    const genCpuA = process.cpuUsage();
    const genEluA = performance.eventLoopUtilization();
    this.genLoopDelay.reset();
    const t0 = performance.now();
    this.recorder.begin();
    await sleep(seconds * 1000);
    this.recorder.end();
    const wallS = (performance.now() - t0) / 1000;
    const genCpu = process.cpuUsage(genCpuA);
    const genElu = performance.eventLoopUtilization(genEluA);
    const b = await this.sfu.measure();
    const wireLatency = capture ? await capture.stop() : null;
    const dropsB = { sfu: udpDrops(this.sfu.pid), gen: udpDrops(process.pid) };
    const d = (k: string): number => (b.stats[k] ?? 0) - (a.stats[k] ?? 0);
    const cpuUs = b.cpuUserUs - a.cpuUserUs + (b.cpuSystemUs - a.cpuSystemUs);
    const procCpuUs = a.procCpuUs >= 0 && b.procCpuUs >= 0 ? b.procCpuUs - a.procCpuUs : Number.NaN;
    const out = d('packetsOut');
    const inn = d('packetsIn');
    const bytesOut = d('bytesOut');
    const rec = this.recorder;
    const sfuP50 = rec.sfu.latency.quantile(0.5);
    const sfuP99 = rec.sfu.latency.quantile(0.99);
    const dirP50 = rec.direct.latency.quantile(0.5);
    const dirP99 = rec.direct.latency.quantile(0.99);
    const overheadBytes = 12 + 8 + 10 + 28;
    return {
      seconds: wallS,
      publishers: this.publishers.length,
      subscribers: this.subscribers.length,
      sfu: {
        packetsInPerSec: inn / wallS,
        forwardedPacketsPerSec: out / wallS,
        forwardedPayloadMbitPerSec: (bytesOut * 8) / wallS / 1e6,
        forwardedWireMbitPerSec: ((bytesOut + out * overheadBytes) * 8) / wallS / 1e6,
        cpuPercentOfOneCore: (cpuUs / 1e6 / wallS) * 100,
        procCpuPercentOfOneCore: (procCpuUs / 1e6 / wallS) * 100,
        cpuUsPerForwardedPacket: out > 0 ? cpuUs / out : Number.NaN,
        cpuUsPerPacketInOrOut: out + inn > 0 ? cpuUs / (out + inn) : Number.NaN,
        eventLoopUtilization: b.elu,
        loopDelayP99Ms: b.loopDelayP99Ms,
        rssMb: b.rssBytes / 1e6,
        retransmissionsSent: d('retransmissionsSent'),
        nacksReceived: d('nacksReceived'),
        plisSent: d('plisSent'),
        containedErrors: d('containedErrors'),
      },
      generator: {
        cpuPercentOfOneCore: ((genCpu.user + genCpu.system) / 1e6 / wallS) * 100,
        eventLoopUtilization: genElu.utilization,
        // The histogram includes the 10 ms sampling interval; report the delay beyond it.
        loopDelayP99Ms: Math.max(0, this.genLoopDelay.percentile(99) / 1e6 - 10),
      },
      latencyMs: {
        sfuP50,
        sfuP99,
        sfuMax: rec.sfu.latency.maxMs,
        directP50: dirP50,
        directP99: dirP99,
        // No baseline or a percentile past the histogram's 2 s range gives no figure (NaN), not a guess.
        addedP50: Number.isFinite(sfuP50) && Number.isFinite(dirP50) ? sfuP50 - dirP50 : Number.NaN,
        addedP99: Number.isFinite(sfuP99) && Number.isFinite(dirP99) ? sfuP99 - dirP99 : Number.NaN,
      },
      loss: {
        sfuPercent: rec.sfu.expected > 0 ? (rec.sfu.lost / rec.sfu.expected) * 100 : Number.NaN,
        directPercent: rec.direct.expected > 0 ? (rec.direct.lost / rec.direct.expected) * 100 : Number.NaN,
        sfuExpected: rec.sfu.expected,
        sfuLost: rec.sfu.lost,
        sfuDuplicates: rec.sfu.duplicates,
        directExpected: rec.direct.expected,
      },
      receivedPacketsPerSec: { sfu: rec.sfu.packets / wallS, direct: rec.direct.packets / wallS },
      udpReceiveDrops: {
        sfuSockets: dropsA.sfu >= 0 && dropsB.sfu >= 0 ? dropsB.sfu - dropsA.sfu : Number.NaN,
        generatorSockets: dropsA.gen >= 0 && dropsB.gen >= 0 ? dropsB.gen - dropsA.gen : Number.NaN,
      },
      wire: wireLatency,
    };
  }

  joinSummary(): {
    p50: number;
    p95: number;
    audioP50: number;
    audioP95: number;
    samples: number;
    failed: number;
  } {
    return {
      p50: percentile(this.join.firstVideoMs, 0.5),
      p95: percentile(this.join.firstVideoMs, 0.95),
      audioP50: percentile(this.join.firstAudioMs, 0.5),
      audioP95: percentile(this.join.firstAudioMs, 0.95),
      samples: this.join.firstVideoMs.length || this.join.firstAudioMs.length,
      failed: this.join.failed,
    };
  }

  async stop(): Promise<void> {
    await this.pubHost.stop();
    for (const s of this.subscribers) s.close();
    this.direct?.sub.close();
    this.genLoopDelay.disable();
    await this.sfu.stop();
  }
}
