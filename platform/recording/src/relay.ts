// The recorder's own RTP relay: the SFU sends a part's streams to sockets of this process, which passes each
// packet on to FFmpeg on loopback and keeps, per stream, how the RTP timestamps map to the wall clock at
// arrival. FFmpeg gives each stream's first packet time 0 and counts on from its RTP timestamps, so the wall
// time of a part's time 0 follows from the first packet FFmpeg was handed, however far FFmpeg lags behind:
// parts are cut against each other on media time, not on when FFmpeg got round to writing. The relay also
// holds the packets back until FFmpeg listens (none is lost to a port not yet bound, so the first packet
// FFmpeg sees is the first one forwarded) and stops feeding at a known instant, so a stop can wait for FFmpeg
// to work through its backlog (its socket queues empty) before ending it.
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';

/** The kernel queue this relay asks for on each socket (the system's maximum caps it). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/** How long after its first packet a stream's clock mapping is refined (later packets only carry drift). */
const MAPPING_WINDOW_MS = 10_000;

/** The wall clock in ms, with the monotonic clock's resolution. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** What the relay learnt of one stream. */
export interface RelayedStream {
  /** Wall time (ms) of the stream's FFmpeg time 0: its first forwarded packet, corrected for late reads. */
  originAt?: number;
  packets: number;
}

interface StreamState {
  clockRate: number;
  socket: Socket;
  target: number;
  packets: number;
  /** The stream's SSRC, from its last packet (named in its BYE). */
  ssrc: number;
  /** RTP timestamp of the first forwarded packet; later ones are unwrapped against it. */
  firstTs?: number;
  lastTs?: number;
  /** Unwrapped ticks since the first packet. */
  ticks: number;
  firstAt?: number;
  /**
   * Least `arrival - media time` seen in the mapping window: the wall time of the first packet as if every
   * packet had been read the moment it arrived (a late read only adds delay, never removes it).
   */
  bestOrigin?: number;
}

function bindSocket(socket: Socket, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

export class RtpRelay {
  private readonly streams: StreamState[] = [];
  /** The streams route() gave a target, in its order. */
  private routed: StreamState[] = [];
  private readonly out: Socket;
  private state: 'held' | 'open' | 'paused' | 'closed' = 'held';
  /** When feeding FFmpeg stopped (ms), once it has. */
  endedAt?: number;

  private constructor(
    private readonly ffmpegHost: string,
    out: Socket,
  ) {
    this.out = out;
  }

  /**
   * Binds `count` sockets on `bindHost` (ports chosen by the system) for the SFU to send to; route() says
   * where each one's packets go on `ffmpegHost`, once open() is called.
   */
  static async create(bindHost: string, ffmpegHost: string, count: number): Promise<RtpRelay> {
    const family = (host: string) => (host.includes(':') ? 'udp6' : 'udp4');
    const out = createSocket({ type: family(ffmpegHost), sendBufferSize: SOCKET_BUFFER_BYTES });
    const relay = new RtpRelay(ffmpegHost, out);
    try {
      await bindSocket(out, ffmpegHost);
      // A send to a port FFmpeg already closed is refused by the system: nothing to do about it.
      out.on('error', () => undefined);
      for (let i = 0; i < count; i++) {
        const socket = createSocket({ type: family(bindHost), recvBufferSize: SOCKET_BUFFER_BYTES });
        await bindSocket(socket, bindHost);
        socket.on('error', () => undefined);
        const s: StreamState = { clockRate: 0, socket, target: 0, packets: 0, ssrc: 0, ticks: 0 };
        socket.on('message', (packet) => relay.onPacket(s, packet));
        relay.streams.push(s);
      }
    } catch (err) {
      relay.close();
      throw err;
    }
    return relay;
  }

  /**
   * Where each stream goes: the packets arriving on `port` go to FFmpeg's `target`; `clockRate` is the
   * stream's RTP clock. Ports not routed are dropped.
   */
  route(routes: readonly { port: number; target: number; clockRate: number }[]): void {
    this.routed = routes.map((r) => {
      const s = this.streams.find((st) => st.socket.address().port === r.port);
      if (s === undefined) throw new Error(`the relay has no port ${r.port}`);
      s.target = r.target;
      s.clockRate = r.clockRate;
      return s;
    });
  }

  /** The ports the SFU sends to, one per stream in order. */
  get ports(): number[] {
    return this.streams.map((s) => s.socket.address().port);
  }

  /** Starts passing packets to FFmpeg (it listens now); until then they are dropped. */
  open(): void {
    if (this.state === 'held') this.state = 'open';
  }

  /** Notes that the part's media ends now (`endedAt`), while packets still go on to FFmpeg. */
  markEnd(): void {
    if (this.state === 'open' && this.endedAt === undefined) this.endedAt = wallNow();
  }

  /**
   * Stops feeding FFmpeg: the part's media ends here (`endedAt`) unless markEnd() said so earlier. Packets
   * are dropped until resume() or close(); FFmpeg still works through what it was sent.
   */
  pause(): void {
    this.markEnd();
    if (this.state === 'open' || this.state === 'held') this.state = 'paused';
  }

  /**
   * Feeds FFmpeg again (without the packets dropped meanwhile): after its SIGINT FFmpeg stops once a read
   * returns, and a read on its sockets only returns with a packet.
   */
  resume(): void {
    if (this.state === 'paused') this.state = 'open';
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  private onPacket(s: StreamState, packet: Buffer): void {
    if (this.state !== 'open' || s.target === 0 || packet.length < 12 || packet[0]! >> 6 !== 2) return;
    const now = wallNow();
    const pt = packet[1]! & 0x7f;
    // RTCP (payload types 72 to 76 with the marker bit) is not forwarded: FFmpeg reads RTP on this port.
    if (pt >= 72 && pt <= 76) return;
    const ts = packet.readUInt32BE(4);
    if (s.firstTs === undefined) {
      s.firstTs = ts;
      s.lastTs = ts;
      s.firstAt = now;
      s.bestOrigin = now;
    } else {
      // RTP timestamps wrap at 2^32; steps are small either way.
      s.ticks += (ts - s.lastTs!) | 0;
      s.lastTs = ts;
      if (now - s.firstAt! <= MAPPING_WINDOW_MS) {
        const origin = now - (s.ticks * 1000) / s.clockRate;
        if (origin < s.bestOrigin!) s.bestOrigin = origin;
      }
    }
    s.ssrc = packet.readUInt32BE(8);
    s.packets++;
    this.out.send(packet, s.target, this.ffmpegHost);
  }

  /**
   * Ends FFmpeg's input: an RTCP BYE (RFC 3550 6.6) on every routed stream's port. FFmpeg's SDP input ends
   * (end of file, not an interruption) once every stream of it has said BYE, and then finishes like a file
   * that ends: every picture its filters hold is written, also those held for an input that stopped sending
   * before (someone who left). Feeding stops first (see pause()).
   */
  bye(): void {
    if (this.state === 'closed') return;
    this.markEnd();
    if (this.state === 'open') this.state = 'paused';
    for (const s of this.routed) {
      // 12 bytes (FFmpeg reads no shorter RTP or RTCP): V=2, one SSRC, PT 203, then an empty reason.
      const bye = Buffer.alloc(12);
      bye[0] = 0x81;
      bye[1] = 203;
      bye.writeUInt16BE(2, 2);
      bye.writeUInt32BE(s.ssrc >>> 0, 4);
      this.out.send(bye, s.target, this.ffmpegHost);
    }
  }

  /** What the relay learnt of each routed stream, in route() order. */
  get relayed(): RelayedStream[] {
    return this.routed.map((s) => ({
      ...(s.bestOrigin !== undefined ? { originAt: s.bestOrigin } : {}),
      packets: s.packets,
    }));
  }

  /**
   * The wall time (ms) of the part's time 0: the earliest origin of its streams. FFmpeg starts every stream at
   * its own first packet, which the relay forwards within a packet interval of opening.
   */
  get originAt(): number | undefined {
    const origins = this.routed.flatMap((s) => (s.bestOrigin !== undefined ? [s.bestOrigin] : []));
    return origins.length === 0 ? undefined : Math.min(...origins);
  }

  /** Stops feeding FFmpeg (what it holds it still works through) and releases the sockets. Idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open' && this.endedAt === undefined) this.endedAt = wallNow();
    this.state = 'closed';
    for (const s of this.streams) s.socket.close();
    this.out.close();
  }
}

/** A UDP socket of /proc/net/udp{,6}: its local port and the bytes waiting in its receive queue. */
interface UdpSocketInfo {
  port: number;
  rxQueue: number;
}

/** The UDP sockets bound on this host (Linux); null where /proc/net is not there. */
export async function udpSockets(): Promise<UdpSocketInfo[] | null> {
  const out: UdpSocketInfo[] = [];
  let found = false;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    found = true;
    for (const line of text.split('\n').slice(1)) {
      // "sl local_address rem_address st tx_queue:rx_queue ..."
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const queues = fields[4];
      if (local === undefined || queues === undefined) continue;
      const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      const rx = parseInt(queues.slice(queues.indexOf(':') + 1), 16);
      if (Number.isFinite(port) && Number.isFinite(rx)) out.push({ port, rxQueue: rx });
    }
  }
  return found ? out : null;
}

/** Whether every port is bound on this host (null: cannot tell here). */
export async function portsBound(ports: readonly number[]): Promise<boolean | null> {
  const sockets = await udpSockets();
  if (sockets === null) return null;
  const bound = new Set(sockets.map((s) => s.port));
  return ports.every((p) => bound.has(p));
}

/** Bytes waiting in the receive queues of the sockets bound on `ports` (null: cannot tell here). */
export async function queuedBytes(ports: readonly number[]): Promise<number | null> {
  const sockets = await udpSockets();
  if (sockets === null) return null;
  const wanted = new Set(ports);
  return sockets.filter((s) => wanted.has(s.port)).reduce((sum, s) => sum + s.rxQueue, 0);
}
