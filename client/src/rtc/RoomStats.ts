// Reads the subscriber connection's statistics: connection quality per remote participant (until the
// server reports its own) and decoded frames per remote track (diagnostics and tests).
import { ConnectionQuality } from '@origo/proto/signal';
import { lossBetween, qualityFromSample } from './quality.js';
import type { RoomState } from './roomState.js';

interface InboundRtp {
  type: string;
  kind?: string;
  trackIdentifier?: string;
  packetsReceived?: number;
  packetsLost?: number;
  framesDecoded?: number;
}

function isBad(q: ConnectionQuality): boolean {
  return q === ConnectionQuality.CONNECTION_QUALITY_POOR || q === ConnectionQuality.CONNECTION_QUALITY_LOST;
}

export class RoomStats {
  private readonly last = new Map<string, { received: number; lost: number }>();
  /** Participants the server reported a quality for: its figure wins. */
  readonly serverQuality = new Set<string>();

  constructor(
    private readonly state: RoomState,
    private readonly setQuality: (participantSid: string, q: ConnectionQuality | undefined) => void,
    private readonly setOwnLinkTrouble: (trouble: boolean) => void = () => undefined,
  ) {}

  /**
   * Local quality estimate per remote participant from loss and round trip. Silence is news only from
   * someone whose media should be arriving (`expects`, by track sid): a person with the microphone muted
   * and the camera off sends nothing, and has no reading rather than a lost connection.
   */
  async poll(pc: RTCPeerConnection, expects: (trackSid: string) => boolean): Promise<void> {
    const byTrackId = new Map<string, { participant: string; trackSid: string }>();
    for (const [trackSid, t] of Object.entries(this.state.tracks)) {
      const id = t.stream?.getTracks()[0]?.id;
      if (id !== undefined) byTrackId.set(id, { participant: t.info.participantSid, trackSid });
    }
    const totals = new Map<string, { received: number; lost: number; expected: boolean }>();
    const report = await pc.getStats();
    report.forEach((s: InboundRtp) => {
      if (s.type !== 'inbound-rtp') return;
      const at = byTrackId.get(s.trackIdentifier ?? '');
      if (at === undefined) return;
      const t = totals.get(at.participant) ?? { received: 0, lost: 0, expected: false };
      t.received += s.packetsReceived ?? 0;
      t.lost += s.packetsLost ?? 0;
      t.expected ||= expects(at.trackSid);
      totals.set(at.participant, t);
    });
    const readings = new Map<string, ConnectionQuality | undefined>();
    /** Whether every reading is bad from media that had been arriving before (not a join still starting). */
    let allWentBad = true;
    for (const [sid, t] of totals) {
      const prev = this.last.get(sid) ?? { received: 0, lost: 0 };
      this.last.set(sid, t);
      if (this.serverQuality.has(sid)) continue;
      const flowing = t.received > prev.received;
      const q =
        !flowing && !t.expected
          ? undefined
          : qualityFromSample({ lossRatio: lossBetween(prev, t), rttMs: this.state.rttMs, flowing });
      readings.set(sid, q);
      if (q !== undefined && (!isBad(q) || prev.received === 0)) allWentBad = false;
    }
    // Two or more people, each on their own link, all going bad at once: the common part is ours (our own
    // network dropped or came back), so none of them is labelled for it.
    const ownTrouble = allWentBad && [...readings.values()].filter((q) => q !== undefined).length >= 2;
    this.setOwnLinkTrouble(ownTrouble);
    for (const [sid, q] of readings) this.setQuality(sid, ownTrouble ? undefined : q);
  }

  /** Decoded frames per remote video track sid. */
  async framesDecoded(pc: RTCPeerConnection): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const byTrackId = new Map<string, string>();
    for (const [sid, t] of Object.entries(this.state.tracks)) {
      const id = t.stream?.getVideoTracks()[0]?.id;
      if (id !== undefined) byTrackId.set(id, sid);
    }
    const report = await pc.getStats();
    report.forEach((s: InboundRtp) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
      const sid = byTrackId.get(s.trackIdentifier ?? '') ?? s.trackIdentifier ?? 'unknown';
      out[sid] = (out[sid] ?? 0) + (s.framesDecoded ?? 0);
    });
    return out;
  }
}
