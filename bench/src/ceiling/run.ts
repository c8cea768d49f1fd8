// Drives the ceiling relay: a sender offering SRTP packets of media size at a fixed rate and
// `fanout` sink sockets counting what comes back, all in this process (pinned to the other core).
// Bounded: each mode runs `seconds`, the sender stops at the end of the window.
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BENCH_ROOT, hasTaskset } from '../media/sfuProcess.js';
import type { RelayMeasure, RelayMsg } from './relayChild.js';
import { createSrtp, keysFor, RTP_HEADER, type SrtpMode } from './srtp.js';

const HERE = dirname(fileURLToPath(import.meta.url));

type WithoutReqId<T> = T extends unknown ? Omit<T, 'reqId'> : never;
type RelayRequest = WithoutReqId<Extract<RelayMsg, { reqId: number }>>;

export interface CeilingOptions {
  modes: (SrtpMode | 'plain')[];
  fanout: number;
  /** Input packets per second offered to the relay (each is sent `fanout` times). */
  inputPps: number;
  /** RTP packet size before SRTP (the tag adds 10 bytes). */
  packetBytes: number;
  seconds: number;
  pin: boolean;
}

export interface CeilingModeResult {
  mode: SrtpMode | 'plain';
  seconds: number;
  offeredInPerSec: number;
  relayInPerSec: number;
  forwardedPerSec: number;
  receivedBySinksPerSec: number;
  relayCpuPercentOfOneCore: number;
  cpuUsPerForwardedPacket: number;
  /** True when the relay ran out of CPU (>= 90% of its core): forwardedPerSec is its ceiling. */
  saturated: boolean;
  /** Forwarded packets per second one core would sustain at the measured cost (1e6 / us). */
  projectedMaxForwardedPerCore: number;
  badTags: number;
}

export interface CeilingResult {
  fanout: number;
  packetBytes: number;
  pinned: boolean;
  modes: CeilingModeResult[];
}

export const DEFAULT_CEILING: CeilingOptions = {
  modes: ['plain', 'per-packet', 'reused'],
  fanout: 8,
  inputPps: 6000,
  packetBytes: 1200,
  seconds: 4,
  pin: true,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runMode(mode: SrtpMode | 'plain', o: CeilingOptions): Promise<CeilingModeResult> {
  const sinks: Socket[] = [];
  let received = 0;
  for (let i = 0; i < o.fanout; i++) {
    const s = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    s.on('message', () => {
      received++;
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    sinks.push(s);
  }
  const nodeArgs = ['--conditions=source', '--import', 'tsx', join(HERE, 'relayChild.ts')];
  const pin = o.pin && hasTaskset();
  const child = pin
    ? spawn('taskset', ['-c', '1', process.execPath, ...nodeArgs], {
        cwd: BENCH_ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : spawn(process.execPath, nodeArgs, { cwd: BENCH_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let reqId = 0;
  const pending = new Map<number, (v: unknown) => void>();
  let relayPort = 0;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('relay did not start within 20 s')), 20_000);
    child.on('message', (m: { ev: string; reqId?: number; value?: unknown; port?: number }) => {
      if (m.ev === 'ready') {
        clearTimeout(timer);
        relayPort = m.port ?? 0;
        resolve();
      } else if (m.ev === 'reply' && m.reqId !== undefined) {
        pending.get(m.reqId)?.(m.value);
        pending.delete(m.reqId);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${code})`));
    });
  });
  const request = <T>(msg: RelayRequest): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++reqId;
      const timer = setTimeout(() => reject(new Error(`relay ${msg.op} timed out`)), 10_000);
      pending.set(id, (v) => {
        clearTimeout(timer);
        resolve(v as T);
      });
      child.send({ ...msg, reqId: id });
    });
  const sender = createSocket('udp4');
  try {
    await ready;
    await request({ op: 'config', mode, sinkPorts: sinks.map((s) => s.address().port) });
    // 256 distinct pre-protected packets (the relay verifies and decrypts each).
    const ctx = createSrtp('per-packet', keysFor(0));
    const packets: Buffer[] = [];
    for (let i = 0; i < 256; i++) {
      const rtp = Buffer.alloc(o.packetBytes);
      for (let j = RTP_HEADER; j < rtp.length; j++) rtp[j] = (i * 31 + j) & 0xff;
      rtp[0] = 0x80;
      rtp[1] = 96;
      rtp.writeUInt16BE(i, 2);
      rtp.writeUInt32BE(i * 3000, 4);
      rtp.writeUInt32BE(0xabcdef01, 8);
      const out = Buffer.alloc(o.packetBytes + 10);
      ctx.protect(rtp, rtp.length, out);
      packets.push(out);
    }
    // Warm up the relay's JIT for half a second at the same rate, then measure.
    let sent = 0;
    let next = 0;
    const t0 = performance.now();
    const warmEnd = t0 + 500;
    const end = warmEnd + o.seconds * 1000;
    let a: RelayMeasure | null = null;
    let receivedAtA = 0;
    let sentAtA = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        if (now >= end) {
          clearInterval(timer);
          resolve();
          return;
        }
        const due = Math.floor(((now - t0) / 1000) * o.inputPps);
        // Bounded burst per tick even if the timer was late.
        const burst = Math.min(due - sent, Math.ceil(o.inputPps / 50));
        for (let i = 0; i < burst; i++) {
          sender.send(packets[next]!, relayPort, '127.0.0.1');
          next = (next + 1) & 255;
          sent++;
        }
        if (a === null && now >= warmEnd) {
          a = { cpuUs: -1, packetsIn: 0, packetsOut: 0, badTags: 0, wallMs: now };
          receivedAtA = received;
          sentAtA = sent;
          void request<RelayMeasure>({ op: 'measure' }).then((m) => {
            a = m;
          });
        }
      }, 1);
    });
    const b = await request<RelayMeasure>({ op: 'measure' });
    await sleep(100);
    const first = a as RelayMeasure | null;
    if (!first || first.cpuUs < 0) throw new Error('relay measure missing');
    const wallS = (b.wallMs - first.wallMs) / 1000;
    const forwarded = b.packetsOut - first.packetsOut;
    const cpuUs = b.cpuUs - first.cpuUs;
    const cpuPct = (cpuUs / 1e6 / wallS) * 100;
    const us = forwarded > 0 ? cpuUs / forwarded : Number.NaN;
    return {
      mode,
      seconds: wallS,
      offeredInPerSec: (sent - sentAtA) / wallS,
      relayInPerSec: (b.packetsIn - first.packetsIn) / wallS,
      forwardedPerSec: forwarded / wallS,
      receivedBySinksPerSec: (received - receivedAtA) / wallS,
      relayCpuPercentOfOneCore: cpuPct,
      cpuUsPerForwardedPacket: us,
      saturated: cpuPct >= 90,
      projectedMaxForwardedPerCore: Number.isFinite(us) ? 1e6 / us : Number.NaN,
      badTags: b.badTags - first.badTags,
    };
  } finally {
    try {
      child.send({ op: 'exit' } satisfies RelayMsg);
    } catch {
      // Already gone.
    }
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    sender.close();
    for (const s of sinks) s.close();
  }
}

export async function runCeiling(opts: Partial<CeilingOptions> = {}): Promise<CeilingResult> {
  const o: CeilingOptions = { ...DEFAULT_CEILING, ...opts };
  const modes: CeilingModeResult[] = [];
  for (const m of o.modes) modes.push(await runMode(m, o));
  return { fanout: o.fanout, packetBytes: o.packetBytes, pinned: o.pin && hasTaskset(), modes };
}
