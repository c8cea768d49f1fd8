// What we receive: incoming tracks bound to the TrackInfo they carry, subscriptions to everyone's tracks,
// and the layer each remote video should get for the size it is shown at (adaptive stream).
import { TrackKind, TrackSource, type TrackInfo } from '@origo/proto/signal';
import { produce, type SetStoreFunction } from 'solid-js/store';
import { settingsChanged, settingsForTile, type TileView, type TrackSettings } from './layers.js';
import { unsubscribedTracks, type RoomState } from './roomState.js';
import { mark } from './marks.js';
import type { SignalClient } from './SignalClient.js';

interface Orphan {
  track: MediaStreamTrack;
  streamId: string;
}

export class RemoteTracks {
  private readonly subscribed = new Set<string>();
  private readonly settings = new Map<string, TrackSettings>();
  private readonly views = new Map<string, TileView>();
  /** Tracks that arrived before the TrackInfo naming them. */
  private readonly orphans: Orphan[] = [];
  private firstFrameSeen = false;

  constructor(
    private readonly signal: SignalClient,
    private readonly state: RoomState,
    private readonly setState: SetStoreFunction<RoomState>,
    private readonly onFirstFrame: ((at: number) => void) | undefined,
  ) {}

  /** A fresh session: nothing is subscribed or received any more. */
  reset(): void {
    this.subscribed.clear();
    this.settings.clear();
    this.orphans.length = 0;
  }

  forget(trackSids: readonly string[]): void {
    for (const sid of trackSids) {
      this.subscribed.delete(sid);
      this.settings.delete(sid);
    }
  }

  /** Subscribes to every track of the others not subscribed yet, and binds tracks that were waiting. */
  sync(canSubscribe: boolean): void {
    if (canSubscribe) {
      const sids = unsubscribedTracks(this.state, this.subscribed);
      if (sids.length > 0) {
        for (const s of sids) this.subscribed.add(s);
        this.signal.send({ $case: 'updateSubscription', value: { trackSids: sids, subscribe: true } });
      }
    }
    for (const o of this.orphans.splice(0)) this.bind(o.track, o.streamId);
  }

  onTrack(e: RTCTrackEvent): void {
    const track = e.track;
    mark('first-remote-track');
    if (track.kind === 'video') this.watchFirstFrame(track);
    this.bind(track, e.streams[0]?.id ?? '');
  }

  private bind(track: MediaStreamTrack, streamId: string): void {
    const info = this.match(track, streamId);
    if (info === undefined) {
      this.orphans.push({ track, streamId });
      return;
    }
    const stream = new MediaStream([track]);
    this.setState('tracks', info.sid, { info, stream });
    track.addEventListener('ended', () => {
      if (this.state.tracks[info.sid]?.stream === stream) this.setState('tracks', info.sid, 'stream', null);
    });
    this.applyView(info.sid);
  }

  /**
   * Which TrackInfo an incoming track is. The SFU labels the track with its sid (a=msid) and names the stream
   * after the publishing participant; on a reused m-line the label can be stale, so the participant's unbound
   * tracks of the same kind are the fallback, camera before screen share (the camera is published first).
   */
  private match(track: MediaStreamTrack, streamId: string): TrackInfo | undefined {
    const participants = Object.values(this.state.participants);
    const all = participants.flatMap((p) => p.tracks);
    const byId = all.find((t) => t.sid === track.id);
    const bound = new Set(
      Object.values(this.state.tracks)
        .filter((t) => t.stream !== null && t.stream.getTracks()[0] !== track)
        .map((t) => t.info.sid),
    );
    if (byId && !bound.has(byId.sid)) return byId;
    const owner = participants.find((p) => p.sid === streamId || p.identity === streamId);
    const kind = track.kind === 'video' ? TrackKind.TRACK_KIND_VIDEO : TrackKind.TRACK_KIND_AUDIO;
    const candidates = (owner ? owner.tracks : all).filter((t) => t.kind === kind && !bound.has(t.sid));
    candidates.sort((a, b) => sourceRank(a.source) - sourceRank(b.source));
    return candidates[0];
  }

  private watchFirstFrame(track: MediaStreamTrack): void {
    if (this.firstFrameSeen || this.onFirstFrame === undefined) return;
    // A detached video element decodes the track; its first frame callback is the first decoded frame.
    const v = document.createElement('video');
    v.muted = true;
    v.playsInline = true;
    v.srcObject = new MediaStream([track]);
    v.requestVideoFrameCallback(() => {
      if (!this.firstFrameSeen) {
        this.firstFrameSeen = true;
        mark('first-remote-frame');
        this.onFirstFrame?.(performance.now());
      }
      v.srcObject = null;
    });
    // Autoplay of a muted element is allowed; if it is refused, the visible tile still plays the track.
    v.play().catch(() => undefined);
  }

  /**
   * Whether packets of a received track should be arriving now: an unmuted microphone, or an unmuted
   * camera the page shows (a hidden tile is paused at the SFU). A shared screen may stand still for
   * seconds, so it never counts.
   */
  expectsMedia(trackSid: string): boolean {
    const t = this.state.tracks[trackSid];
    if (t === undefined || t.info.muted) return false;
    if (t.info.source === TrackSource.TRACK_SOURCE_MICROPHONE) return true;
    if (t.info.source !== TrackSource.TRACK_SOURCE_CAMERA) return false;
    return this.settings.get(trackSid)?.paused !== true;
  }

  /** The meeting page reports how a remote video is shown; the SFU then sends the layer that fits. */
  setView(trackSid: string, view: TileView): void {
    this.views.set(trackSid, view);
    this.applyView(trackSid);
  }

  private applyView(trackSid: string): void {
    const view = this.views.get(trackSid);
    const t = this.state.tracks[trackSid];
    if (view === undefined || t === undefined || t.info.kind !== TrackKind.TRACK_KIND_VIDEO) return;
    const next = settingsForTile(view, window.devicePixelRatio, t.info.width, t.info.height);
    if (!settingsChanged(this.settings.get(trackSid), next)) return;
    this.settings.set(trackSid, next);
    this.signal.send({ $case: 'updateTrackSettings', value: { trackSid, ...next } });
  }

  /** Drops what was received (peer connections are being rebuilt). */
  clear(): void {
    this.reset();
    this.setState(
      produce((s) => {
        s.tracks = {};
      }),
    );
  }

  debug(): Record<string, unknown> {
    return {
      settings: [...this.settings.entries()],
      orphans: this.orphans.length,
      subscribed: [...this.subscribed],
    };
  }
}

function sourceRank(s: TrackSource): number {
  return s === TrackSource.TRACK_SOURCE_CAMERA || s === TrackSource.TRACK_SOURCE_MICROPHONE ? 0 : 1;
}
