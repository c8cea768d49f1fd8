// The media side of a session: publishing (offer, answer, track sids), the tracks others see, automatic
// subscription to everyone else's live tracks, mute state, and the SFU calls that relay negotiation.
import type { TrackClosedEvent, TrackPublishedEvent } from '@origo/proto/sfu-rpc';
import {
  ErrorCode,
  SignalTarget,
  TrackKind,
  type AddTrackRequest,
  type IceRestartRequest,
  type SessionDescription,
  type TrackInfo,
  type Trickle,
  type UpdateSubscriptionRequest,
  type UpdateTrackSettingsRequest,
} from '@origo/proto/signal';
import type { NodeContext } from './context.js';
import { invalid, SignalError } from './errors.js';
import { push, response } from './responses.js';
import { retryInBackground } from './retry.js';
import type { Session } from './session.js';

const MAX_CID_LENGTH = 256;

function requireTarget(target: SignalTarget, what: string): SignalTarget {
  if (target !== SignalTarget.SIGNAL_TARGET_PUBLISHER && target !== SignalTarget.SIGNAL_TARGET_SUBSCRIBER)
    throw invalid(`${what}.target must be PUBLISHER or SUBSCRIBER`);
  return target;
}

export class MediaRelay {
  /** Sessions with a share of their tracks waiting for the store to answer. */
  private readonly resharing = new WeakSet<Session>();

  constructor(private readonly ctx: NodeContext) {}

  private ids(session: Session): { roomId: string; participantId: string } {
    return { roomId: session.room.name, participantId: session.sid };
  }

  // ---- publishing ----

  announce(session: Session, t: AddTrackRequest): void {
    if (t.cid.length === 0 || t.cid.length > MAX_CID_LENGTH)
      throw invalid(`add_track.cid must be 1 to ${MAX_CID_LENGTH} characters`);
    if (t.kind === TrackKind.TRACK_KIND_UNSPECIFIED) throw invalid('add_track.kind is required');
    if (t.layers.length > 3) throw invalid('at most three simulcast layers');
    session.tracks.announce(t);
  }

  async publishOffer(session: Session, requestId: string, offer: SessionDescription): Promise<void> {
    const res = await session.room.sfu.publish({
      ...this.ids(session),
      offerSdp: offer.sdp,
      tracks: session.tracks.announced().map((t) => ({
        cid: t.cid,
        kind: t.kind,
        source: t.source,
        layers: t.layers,
        muted: t.muted,
        width: t.width,
        height: t.height,
      })),
    });
    session.send(response(requestId, 'publisherAnswer', { sdp: res.answerSdp, id: offer.id }));
    for (const track of session.tracks.assign(res.tracks)) {
      const cid = res.tracks.find((p) => p.trackId === track.sid)?.cid ?? '';
      session.send(push('trackPublished', { cid, track }));
    }
  }

  /** The SFU reports media on a published track: others may now see it and subscribe. */
  async trackLive(session: Session, ev: TrackPublishedEvent): Promise<void> {
    const track = session.tracks.markLive(ev);
    if (!track) return;
    await this.shareTracks(session, [track], []);
  }

  async trackClosed(session: Session, ev: TrackClosedEvent): Promise<void> {
    if (!session.tracks.remove(ev.trackId)) return;
    await this.shareTracks(session, [], [ev.trackId]);
  }

  async setMuted(session: Session, track: TrackInfo, muted: boolean): Promise<void> {
    await session.room.sfu.setTrackMuted({ ...this.ids(session), trackId: track.sid, muted });
    track.muted = muted;
    if (session.tracks.isLive(track.sid)) await this.shareTracks(session, [track], []);
  }

  async muteOwn(session: Session, trackSid: string, muted: boolean): Promise<void> {
    const track = session.tracks.get(trackSid);
    if (!track) throw new SignalError(ErrorCode.ERROR_CODE_NOT_FOUND, `track ${trackSid} is not yours`);
    await this.setMuted(session, track, muted);
  }

  private async shareTracks(session: Session, updated: TrackInfo[], removed: string[]): Promise<void> {
    session.refreshTracks();
    try {
      await this.ctx.store.putParticipant(session.room.name, session.info);
      await this.ctx.roomBus.publish(session.room.name, { t: 'tracks', from: session.sid, updated, removed });
    } catch (err) {
      this.shareAgainLater(session);
      throw err;
    }
  }

  /**
   * After a failed share, repeats it (every live track, on the session's queue so it keeps its place among
   * track changes) until the store answers: a track that went live during an outage would otherwise stay
   * unseen by the others for good.
   */
  private shareAgainLater(session: Session): void {
    if (this.resharing.has(session)) return;
    this.resharing.add(session);
    const share = (): Promise<void> =>
      new Promise((resolve, reject) => {
        session.enqueue('share tracks again', async () => {
          if (session.closed) return resolve();
          session.refreshTracks();
          const live = session.tracks.live();
          try {
            await this.ctx.store.putParticipant(session.room.name, session.info);
            await this.ctx.roomBus.publish(session.room.name, {
              t: 'tracks',
              from: session.sid,
              updated: live,
              removed: [],
            });
            this.resharing.delete(session);
            resolve();
          } catch (err) {
            reject(err);
          }
        });
      });
    retryInBackground(
      'track share',
      share,
      this.ctx.logger,
      () => !session.closed && !this.ctx.flags.closing,
      { participant_sid: session.sid, room: session.room.name },
    );
  }

  /** Stores and announces a changed participant (state, name); failures are logged, not thrown. */
  shareParticipant(session: Session): void {
    session.enqueue('share participant', async () => {
      await this.ctx.store.putParticipant(session.room.name, session.info);
      await this.ctx.roomBus.publish(session.room.name, { t: 'updated', participant: session.info });
    });
  }

  // ---- negotiation relay ----

  async subscriberAnswer(session: Session, answer: SessionDescription): Promise<void> {
    await session.room.sfu.setSubscriberAnswer({
      ...this.ids(session),
      answerSdp: answer.sdp,
      offerId: answer.id,
    });
  }

  async trickle(session: Session, t: Trickle): Promise<void> {
    await session.room.sfu.addIceCandidate({
      ...this.ids(session),
      target: requireTarget(t.target, 'trickle'),
      candidate: {
        candidate: t.candidate,
        ...(t.sdpMid !== undefined ? { sdpMid: t.sdpMid } : {}),
        ...(t.sdpMlineIndex !== undefined ? { sdpMlineIndex: t.sdpMlineIndex } : {}),
        ...(t.usernameFragment !== undefined ? { usernameFragment: t.usernameFragment } : {}),
      },
    });
  }

  async restartIce(session: Session, req: IceRestartRequest): Promise<void> {
    await session.room.sfu.restartIce({
      ...this.ids(session),
      target: requireTarget(req.target, 'ice_restart'),
      offerSdp: '',
    });
  }

  // ---- subscriptions ----

  async updateSubscription(session: Session, req: UpdateSubscriptionRequest): Promise<void> {
    const res = await session.room.sfu.subscribe({
      ...this.ids(session),
      trackIds: req.trackSids,
      subscribe: req.subscribe,
    });
    for (const sid of req.trackSids) {
      if (res.unknownTrackIds.includes(sid)) continue;
      if (req.subscribe) session.subscribed.add(sid);
      else session.subscribed.delete(sid);
    }
    if (res.unknownTrackIds.length > 0 && res.unknownTrackIds.length === req.trackSids.length)
      throw new SignalError(
        ErrorCode.ERROR_CODE_NOT_FOUND,
        `unknown tracks: ${res.unknownTrackIds.join(', ')}`,
      );
  }

  async updateTrackSettings(session: Session, req: UpdateTrackSettingsRequest): Promise<void> {
    await session.room.sfu.updateTrackSettings({
      ...this.ids(session),
      trackId: req.trackSid,
      paused: req.paused,
      width: req.width,
      height: req.height,
      quality: req.quality,
    });
  }

  /** Subscribes a session to live tracks of others it does not have yet (automatic subscription). */
  async autoSubscribe(session: Session, tracks: readonly TrackInfo[]): Promise<void> {
    if (!session.claims.grants.subscribe || session.closed) return;
    const wanted = tracks
      .filter((t) => t.participantSid !== session.sid && !session.subscribed.has(t.sid))
      .map((t) => t.sid);
    if (wanted.length === 0) return;
    for (const sid of wanted) session.subscribed.add(sid);
    try {
      const res = await session.room.sfu.subscribe({
        ...this.ids(session),
        trackIds: wanted,
        subscribe: true,
      });
      for (const sid of res.unknownTrackIds) session.subscribed.delete(sid);
    } catch (err) {
      for (const sid of wanted) session.subscribed.delete(sid);
      if (!session.closed)
        this.ctx.logger.warn({ err, participant_sid: session.sid }, 'auto-subscribe failed');
    }
  }
}
