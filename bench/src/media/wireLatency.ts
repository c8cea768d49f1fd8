// SFU-added latency measured on the wire: tcpdump captures the loopback traffic to and from the SFU's
// UDP ports with kernel timestamps, and each RTP packet the SFU sends is paired with the packet it
// forwards. The figure is the SFU's own (socket queue, ICE/DTLS/SRTP, our forwarding, the send), without
// the load generator's receive path, which at tens of thousands of packets per second on one core queues
// each fan-out burst for several milliseconds and dominates the end-to-end reading.
//
// Pairing: SRTP leaves the RTP header in clear (RFC 3711 3.1). For one outgoing stream (an SSRC of the
// SFU) the Munger maps the publisher's sequence numbers by a constant offset while no layer switch or
// drop happens, so the offset is the most common (outgoing seq - incoming seq) between an outgoing
// packet and the incoming packets of the preceding few milliseconds. A copy is then paired with the
// latest incoming packet of that sequence number; retransmissions (the same outgoing seq again) and
// packets sent after an offset change are left unpaired and counted as such.
//
// The payload's length (the UDP length less the RTP header and its extensions; the SRTP tag stays in)
// is part of what is learned: the SFU forwards a payload at its size, so a copy and its input differ by
// a constant (the two connections' tag lengths, the SFU's own VP8 descriptor). Without it, streams that
// advance in step (two publishers' audio, 50 packets/s each) or a stream's own previous packets, which
// arrived within the window too, tied with the real mapping, and a copy could be paired with an input
// 20 or 40 ms older.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LatencyHistogram } from '../stats.js';

export interface WireLatency {
  /** Copies the SFU sent during the capture (RTP only) and how many were paired with their input. */
  copies: number;
  paired: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Packets tcpdump reported dropped by the kernel (a capture that kept up says 0). */
  captureDrops: number;
}

/** One RTP packet seen on the wire: kernel time (ns, as a float ms) and the clear header fields. */
interface WirePacket {
  ms: number;
  ssrc: number;
  seq: number;
  /** Bytes after the RTP header and its extensions (payload and SRTP tag); -1 when not captured. */
  len: number;
}

const SNAPLEN = 64; // Ethernet 14 + IPv4 20 + UDP 8 + RTP 12

export class WireCapture {
  private readonly file = join(tmpdir(), `origo-bench-${process.pid}-${Date.now()}.pcap`);
  private child: ChildProcess | null = null;
  private stderr = '';

  private constructor(private readonly ports: ReadonlySet<number>) {}

  /** Starts tcpdump on loopback for the SFU's ports; null (with the reason logged) when it cannot. */
  static async start(ports: ReadonlySet<number>, log: (line: string) => void): Promise<WireCapture | null> {
    if (ports.size === 0) {
      log('wire latency: no SFU port known; not captured');
      return null;
    }
    const cap = new WireCapture(ports);
    const filter = `udp and (${[...ports].map((p) => `port ${p}`).join(' or ')})`;
    const args = ['-i', 'lo', '-n', '-s', String(SNAPLEN), '-B', '65536', '-U'];
    args.push('--time-stamp-precision=nano', '-w', cap.file, filter);
    const child = spawn('tcpdump', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    cap.child = child;
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      child.on('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (s: string) => {
        cap.stderr += s;
        if (cap.stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    if (!ok) {
      log(`wire latency: tcpdump did not start (${cap.stderr.trim() || 'not installed?'}); not captured`);
      child.kill('SIGKILL');
      rmSync(cap.file, { force: true });
      return null;
    }
    return cap;
  }

  /** Stops the capture and pairs the SFU's copies with their inputs. */
  async stop(): Promise<WireLatency> {
    const child = this.child!;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    await exited;
    const m = /(\d+) packets? dropped by kernel/.exec(this.stderr);
    try {
      const { inbound, outbound } = readPcap(readFileSync(this.file), this.ports);
      return { ...pairCopies(inbound, outbound), captureDrops: m ? Number(m[1]) : Number.NaN };
    } finally {
      rmSync(this.file, { force: true });
    }
  }
}

/** Splits a pcap (Ethernet or Linux cooked, IPv4) into RTP packets to and from the given ports. */
export function readPcap(
  buf: Buffer,
  ports: ReadonlySet<number>,
): { inbound: WirePacket[]; outbound: WirePacket[] } {
  const inbound: WirePacket[] = [];
  const outbound: WirePacket[] = [];
  if (buf.length < 24) return { inbound, outbound };
  const magic = buf.readUInt32LE(0);
  const nano = magic === 0xa1b23c4d;
  if (!nano && magic !== 0xa1b2c3d4)
    throw new Error(`not a little-endian pcap file (magic ${magic.toString(16)})`);
  const linkType = buf.readUInt32LE(20);
  const l2 = linkType === 1 ? 14 : linkType === 113 ? 16 : -1;
  if (l2 < 0) throw new Error(`unsupported pcap link type ${linkType}`);
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = buf.readUInt32LE(off);
    const frac = buf.readUInt32LE(off + 4);
    const incl = buf.readUInt32LE(off + 8);
    const p = off + 16;
    off = p + incl;
    if (off > buf.length) break;
    const ip = p + l2;
    if (incl < l2 + 20 + 8 + 12 || buf[ip]! >> 4 !== 4 || buf[ip + 9] !== 17) continue;
    const udp = ip + (buf[ip]! & 0x0f) * 4;
    const rtp = udp + 8;
    if (rtp + 12 > p + incl) continue;
    const b0 = buf[rtp]!;
    const b1 = buf[rtp + 1]!;
    // RTP version 2, not RTCP (RFC 5761 4), not STUN or DTLS (RFC 7983).
    if (b0 >> 6 !== 2 || (b1 >= 192 && b1 <= 223)) continue;
    const pkt: WirePacket = {
      ms: sec * 1000 + frac / (nano ? 1e6 : 1e3),
      seq: buf.readUInt16BE(rtp + 2),
      ssrc: buf.readUInt32BE(rtp + 8),
      len: afterHeader(buf, rtp, p + incl, buf.readUInt16BE(udp + 4) - 8),
    };
    const src = buf.readUInt16BE(udp);
    const dst = buf.readUInt16BE(udp + 2);
    if (ports.has(dst) && !ports.has(src)) inbound.push(pkt);
    else if (ports.has(src) && !ports.has(dst)) outbound.push(pkt);
  }
  return { inbound, outbound };
}

/**
 * The bytes after the RTP header (RFC 3550 5.1: CSRCs, RFC 8285 extension block) of a datagram of
 * `rtpLength` bytes whose capture ends at `end`; -1 when the header is not all in the capture.
 */
function afterHeader(buf: Buffer, rtp: number, end: number, rtpLength: number): number {
  const b0 = buf[rtp]!;
  let header = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (rtp + header + 4 > end) return -1;
    header += 4 + buf.readUInt16BE(rtp + header + 2) * 4;
  }
  return rtpLength >= header ? rtpLength - header : -1;
}

/** Length difference of a copy and its input; NaN when either length is unknown (then any matches). */
const lengthDiff = (out: WirePacket, inp: WirePacket): number =>
  out.len < 0 || inp.len < 0 ? Number.NaN : out.len - inp.len;

/** How far back an outgoing packet's input may be when the offset is learned. */
const LEARN_WINDOW_MS = 50;
/** Outgoing packets of a stream used to learn its offset. */
const LEARN_PACKETS = 64;
/** An input older than this is not a copy's original (sequence numbers wrap after 65,536). */
const PAIR_WINDOW_MS = 2_000;

export function pairCopies(
  inbound: readonly WirePacket[],
  outbound: readonly WirePacket[],
): Omit<WireLatency, 'captureDrops'> {
  // Inputs by SSRC and sequence number, each with its arrivals in order.
  const arrivals = new Map<number, Map<number, WirePacket[]>>();
  for (const p of inbound) {
    let bySeq = arrivals.get(p.ssrc);
    if (!bySeq) arrivals.set(p.ssrc, (bySeq = new Map()));
    const list = bySeq.get(p.seq);
    if (list) list.push(p);
    else bySeq.set(p.seq, [p]);
  }
  const streams = new Map<number, WirePacket[]>();
  for (const p of outbound) {
    const s = streams.get(p.ssrc);
    if (s) s.push(p);
    else streams.set(p.ssrc, [p]);
  }
  const hist = new LatencyHistogram();
  let copies = 0;
  let paired = 0;
  const sortedIn = [...inbound].sort((a, b) => a.ms - b.ms);
  for (const out of streams.values()) {
    copies += out.length;
    const offset = learnOffset(out, sortedIn);
    if (!offset) continue;
    const bySeq = arrivals.get(offset.ssrc)!;
    const seen = new Set<number>();
    for (const o of out) {
      if (seen.has(o.seq)) continue; // a retransmission
      seen.add(o.seq);
      const inputs = bySeq.get((o.seq - offset.delta) & 0xffff);
      if (!inputs) continue;
      let best: WirePacket | null = null;
      for (const inp of inputs) if (inp.ms <= o.ms && (best === null || inp.ms > best.ms)) best = inp;
      if (best === null || o.ms - best.ms > PAIR_WINDOW_MS) continue;
      // A different size is not this copy's input (the mapping changed at a layer switch, or the
      // sequence numbers wrapped onto an older packet).
      const diff = lengthDiff(o, best);
      if (!Number.isNaN(offset.lenDiff) && !Number.isNaN(diff) && diff !== offset.lenDiff) continue;
      hist.add(o.ms - best.ms);
      paired++;
    }
  }
  return {
    copies,
    paired,
    p50Ms: hist.quantile(0.5),
    p99Ms: hist.quantile(0.99),
    p999Ms: hist.quantile(0.999),
    maxMs: hist.maxMs,
  };
}

/** The input SSRC, sequence offset and length difference most of a stream's first packets agree on. */
function learnOffset(
  out: readonly WirePacket[],
  sortedIn: readonly WirePacket[],
): { ssrc: number; delta: number; lenDiff: number } | null {
  const votes = new Map<string, number>();
  let lo = 0;
  for (const o of out.slice(0, LEARN_PACKETS)) {
    while (lo < sortedIn.length && sortedIn[lo]!.ms < o.ms - LEARN_WINDOW_MS) lo++;
    for (let i = lo; i < sortedIn.length && sortedIn[i]!.ms <= o.ms; i++) {
      const inp = sortedIn[i]!;
      const key = `${inp.ssrc}:${(o.seq - inp.seq) & 0xffff}:${lengthDiff(o, inp)}`;
      votes.set(key, (votes.get(key) ?? 0) + 1);
    }
  }
  let bestKey = '';
  let bestVotes = 0;
  for (const [k, v] of votes) {
    if (v > bestVotes) {
      bestKey = k;
      bestVotes = v;
    }
  }
  // A real mapping is found for nearly every learning packet; a stray coincidence is not.
  if (bestVotes < Math.min(8, out.length / 2)) return null;
  const [ssrc, delta, lenDiff] = bestKey.split(':').map(Number) as [number, number, number];
  return { ssrc, delta, lenDiff };
}
