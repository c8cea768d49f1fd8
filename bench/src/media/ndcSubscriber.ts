// A load-generator subscriber on node-datachannel (libdatachannel): ICE, DTLS and SRTP decryption run
// in libdatachannel's native threads, and JavaScript sees one decrypted RTP packet per callback. It
// costs the generator a fraction of what a werift receiver costs (werift decrypts in JavaScript with a
// new cipher object per packet), so one generator core keeps up with the SFU at the loads issue 12
// measures. Receiver reports and REMB go back to the SFU (libdatachannel's RtcpReceivingSession); no
// NACKs are sent, so loss is what the wire lost.
import { createRequire } from 'node:module';
import type * as Ndc from 'node-datachannel';
import type { IceCandidateInit } from './protocol.js';
import {
  candidateToLoopback,
  candidatesToLoopback,
  onlyLoopbackCandidates,
  ReceiveAccount,
  type BenchSubscriber,
  type Recorder,
  type SubscriberTiming,
} from './peers.js';

const LOOPBACK = '127.0.0.1';
const GATHER_TIMEOUT_MS = 3000;

let ndc: typeof Ndc | undefined;

function loadNdc(): typeof Ndc {
  ndc ??= createRequire(import.meta.url)('node-datachannel') as typeof Ndc;
  return ndc;
}

/** Offset of the payload in an RTP packet, and its end (padding excluded); null for RTCP or garbage. */
export function rtpPayloadBounds(pkt: Buffer): { start: number; end: number } | null {
  if (pkt.length < 12 || pkt[0]! >> 6 !== 2) return null;
  const pt = pkt[1]! & 0x7f;
  if (pt >= 64 && pt <= 95) return null; // RTCP (RFC 5761 demultiplexing)
  let start = 12 + (pkt[0]! & 0x0f) * 4;
  if (pkt[0]! & 0x10) {
    if (pkt.length < start + 4) return null;
    start += 4 + pkt.readUInt16BE(start + 2) * 4;
  }
  let end = pkt.length;
  if (pkt[0]! & 0x20) end -= pkt[end - 1]!;
  return end > start ? { start, end } : null;
}

/** Moves the candidate lines (and end-of-candidates) of an SDP into `out`, with their section's mid. */
export function holdCandidates(sdp: string, out: Array<{ candidate: string; mid: string }>): string {
  let mid = '0';
  const kept: string[] = [];
  for (const line of sdp.split('\r\n')) {
    if (line.startsWith('m=')) mid = '';
    else if (line.startsWith('a=mid:')) mid = line.slice(6);
    if (line.startsWith('a=candidate:')) {
      out.push({ candidate: line.slice(2), mid });
      continue;
    }
    if (line === 'a=end-of-candidates') continue;
    kept.push(line);
  }
  return kept.join('\r\n');
}

export class NdcSynthSubscriber implements BenchSubscriber {
  private readonly pc: Ndc.PeerConnection;
  private readonly account: ReceiveAccount;
  private readonly tracks: Ndc.Track[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private gathered = false;
  private readonly gatherWaiters: Array<() => void> = [];
  private state = 'new';
  /** The remote candidates of the first offer, held until our answer reached the other side. */
  private held: Array<{ candidate: string; mid: string }> | null = [];
  private closed = false;

  constructor(
    readonly id: string,
    private readonly recorder: Recorder,
    path: 'sfu' | 'direct',
  ) {
    const lib = loadNdc();
    this.account = new ReceiveAccount(recorder, path);
    this.pc = new lib.PeerConnection(`bench-${id}`, { iceServers: [], bindAddress: LOOPBACK });
    recorder.register(this);
    // node-datachannel frees a closed connection's callbacks after its final state: always listen.
    this.pc.onStateChange((s) => {
      this.state = s;
    });
    this.pc.onGatheringStateChange((s) => {
      if (s !== 'complete') return;
      this.gathered = true;
      for (const w of this.gatherWaiters.splice(0)) w();
    });
    this.pc.onTrack((track) => {
      this.tracks.push(track);
      const video = track.type() === 'video';
      track.setMediaHandler(new lib.RtcpReceivingSession());
      track.onMessage((pkt) => {
        const b = rtpPayloadBounds(pkt);
        if (b === null) return;
        this.account.onPayload(video, b.end === pkt.length ? pkt : pkt.subarray(0, b.end), b.start);
      });
    });
  }

  get timing(): SubscriberTiming {
    return this.account.timing;
  }

  get connectionState(): string {
    return this.state;
  }

  finish(epoch: number): void {
    this.account.finish(epoch);
  }

  private waitGathered(): Promise<void> {
    if (this.gathered) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
      this.gatherWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  answer(offerSdp: string): Promise<string> {
    const run = async (): Promise<string> => {
      if (this.closed) throw new Error(`subscriber ${this.id} is closed`);
      let sdp = candidatesToLoopback(offerSdp);
      if (this.held !== null) sdp = holdCandidates(sdp, this.held);
      // libdatachannel answers a remote offer by itself (auto negotiation).
      this.pc.setRemoteDescription(sdp, 'offer');
      await this.waitGathered();
      const local = this.pc.localDescription();
      if (!local || local.type !== 'answer') throw new Error(`subscriber ${this.id}: no answer was made`);
      return onlyLoopbackCandidates(local.sdp.replace(/\r?\n/g, '\r\n'));
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * Our answer reached the other side: start connecting. Until then the offer's candidates are held
   * back, because libdatachannel would finish ICE against a peer that answers checks before it has our
   * answer, and send its DTLS ClientHello to a peer that cannot take it yet; OpenSSL then retransmits
   * only after a second, which would be counted as join time. A browser retransmits after 50 ms.
   */
  answerDelivered(): void {
    const held = this.held;
    if (held === null || this.closed) return;
    this.held = null;
    for (const c of held) this.addCandidate(c.candidate, c.mid);
  }

  addRemoteCandidate(c: IceCandidateInit | null): void {
    if (this.closed || c === null) return;
    const lo = candidateToLoopback(c);
    if (!lo) return;
    const mid = lo.sdpMid ?? '0';
    if (this.held !== null) this.held.push({ candidate: lo.candidate, mid });
    else this.addCandidate(lo.candidate, mid);
  }

  private addCandidate(candidate: string, mid: string): void {
    try {
      this.pc.addRemoteCandidate(candidate, mid);
    } catch {
      // A candidate for a section libdatachannel does not know: the bundle's first one suffices.
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.recorder.unregister(this);
    for (const w of this.gatherWaiters.splice(0)) w();
    try {
      for (const t of this.tracks) t.close();
      this.pc.close();
    } catch {
      // Already closed by libdatachannel.
    }
  }
}
