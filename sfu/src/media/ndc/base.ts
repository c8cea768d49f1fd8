// What both ndc transports share: the current connection (replaced on an ICE restart), connection
// state, trickle ICE both ways, periodic RTCP, and containment (a throw in a callback becomes
// onFatal for this transport, never an uncaught exception in the worker).
import { InvalidArgumentError } from '../errors.js';
import type { IceCandidateInit, TransportConnectionState } from '../transport.js';
import { bareCandidate, candidateUfrag, isMdnsCandidate } from './candidates.js';
import { NdcConnection, type ConnectionConfig } from './connection.js';

/** Candidates held back until the connection of their ICE generation exists. */
const MAX_PENDING_CANDIDATES = 64;

export abstract class NdcBase {
  onConnectionState: ((state: TransportConnectionState) => void) | null = null;
  onIceCandidate: ((candidate: IceCandidateInit | null) => void) | null = null;
  onFatal: ((error: unknown) => void) | null = null;
  protected conn: NdcConnection | null = null;
  protected closed = false;
  /** The mid clients see for the bundle transport (trickled candidates carry it). */
  protected bundleMid = '0';
  private state: TransportConnectionState = 'new';
  private pending: { candidate: string; ufrag: string | undefined }[] = [];
  /**
   * Offerer side: the current connection's local candidates are held back until the client's answer is
   * applied (see `releaseLocalCandidates`); what its gathering trickled meanwhile waits here.
   */
  protected holdsLocalCandidates = false;
  private heldLocal: (string | null)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  /** SSRC we send RTCP from (RFC 3550 section 8: random). */
  protected readonly rtcpSsrc = (Math.random() * 0xfffffffe + 1) >>> 0;

  constructor(protected readonly cfg: ConnectionConfig) {}

  get connectionState(): TransportConnectionState {
    return this.closed ? 'closed' : this.state;
  }

  protected get isConnected(): boolean {
    return this.state === 'connected' && this.conn !== null && this.conn.isOpen;
  }

  /** Media from the current connection, RTP and RTCP mixed. */
  protected abstract onMedia(packet: Buffer, nowMs: number): void;

  /** The current connection's track opened (DTLS-SRTP ready). */
  protected onOpen(): void {}

  /** Creates a connection whose events land here only while it is the current one. */
  protected newConnection(): NdcConnection {
    const conn: NdcConnection = new NdcConnection(this.cfg, {
      state: (s) => {
        if (conn !== this.conn || this.closed) return;
        this.state = s;
        this.onConnectionState?.(s);
      },
      candidate: (c) => {
        if (conn !== this.conn || this.closed) return;
        if (this.holdsLocalCandidates && !conn.hasRemote) this.heldLocal.push(c);
        else this.emitLocalCandidate(c);
      },
      open: () => {
        if (conn === this.conn && !this.closed) this.onOpen();
      },
      media: (packet) => {
        if (conn === this.conn && !this.closed) this.onMedia(packet, performance.now());
      },
      fatal: (error) => this.fail(error),
    });
    return conn;
  }

  private emitLocalCandidate(c: string | null): void {
    this.onIceCandidate?.(c === null ? null : { candidate: c, sdpMid: this.bundleMid, sdpMLineIndex: 0 });
  }

  /**
   * Sends the client the current connection's candidates, held back since its offer: the ones the offer
   * would have carried, then what gathering found since. Until the client has them it cannot start ICE,
   * so its DTLS ClientHello cannot reach libdatachannel before the answer with the client's fingerprint
   * does (libdatachannel fails such a handshake at once, "certificate verify failed", where a browser
   * would wait for the fingerprint).
   */
  protected releaseLocalCandidates(): void {
    const conn = this.conn;
    if (conn === null || !conn.hasRemote) return;
    const held = [...(conn.localParams?.candidates ?? []), ...this.heldLocal];
    this.heldLocal = [];
    for (const c of held) this.emitLocalCandidate(c);
  }

  /** Makes `conn` current and closes the previous one. */
  protected install(conn: NdcConnection): void {
    const old = this.conn;
    this.conn = conn;
    this.heldLocal = [];
    old?.close();
    if (old !== null && this.state !== 'new') {
      this.state = 'connecting';
      this.onConnectionState?.('connecting');
    }
  }

  /** Applies the candidates held for the current connection once it knows the client's ufrag. */
  protected flushPending(): void {
    const conn = this.conn;
    if (conn === null || !conn.hasRemote) return;
    const held = this.pending;
    this.pending = [];
    for (const p of held) {
      if (p.ufrag !== undefined && p.ufrag !== conn.remoteUfrag) continue;
      try {
        conn.addRemoteCandidate(p.candidate);
      } catch {
        // A held candidate that libdatachannel refuses was bad input when it arrived; drop it.
      }
    }
  }

  protected every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      if (this.closed) return;
      try {
        fn();
      } catch (error) {
        this.fail(error);
      }
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  protected fail(error: unknown): void {
    if (this.closed) return;
    const cb = this.onFatal;
    if (cb) cb(error);
    else this.close();
  }

  addIceCandidate(candidate: IceCandidateInit | null): Promise<void> {
    if (this.closed || candidate === null) return Promise.resolve();
    const text = bareCandidate(candidate.candidate ?? '').trim();
    // An empty candidate is the end-of-candidates marker; mDNS names can only time out (RFC 8828):
    // the client's checks reach us anyway and give us its address as peer-reflexive.
    if (text === '' || isMdnsCandidate(text)) return Promise.resolve();
    if (!text.startsWith('candidate:') || text.length > 1024) {
      return Promise.reject(new InvalidArgumentError('not an ICE candidate'));
    }
    const ufrag = candidate.usernameFragment ?? candidateUfrag(text);
    const conn = this.conn;
    if (conn === null || !conn.hasRemote || (ufrag !== undefined && ufrag !== conn.remoteUfrag)) {
      if (this.pending.length < MAX_PENDING_CANDIDATES) this.pending.push({ candidate: text, ufrag });
      return Promise.resolve();
    }
    try {
      conn.addRemoteCandidate(text);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.conn?.close();
    this.onConnectionState = null;
    this.onIceCandidate = null;
    this.onFatal = null;
  }
}
