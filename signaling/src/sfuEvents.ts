// Events from the SFU workers (the Events stream of each): negotiation to relay to the browser, tracks
// that went live or closed, speakers, layer and quality changes, failures.
import { PeerConnectionState, RouterClosedReason, type SfuEvent } from '@origo/proto/sfu-rpc';
import { DisconnectReason, LeaveAction, ParticipantState } from '@origo/proto/signal';
import type { NodeContext } from './context.js';
import { push } from './responses.js';
import type { LocalRoom } from './room.js';

export class SfuEventRouter {
  constructor(private readonly ctx: NodeContext) {}

  onEvent(address: string, event: SfuEvent): void {
    const room = this.ctx.rooms.get(event.roomId);
    if (!room || room.placement.address !== address || !event.event) return;
    if (event.participantId === '') this.onRoomEvent(room, event.event);
    else this.onParticipantEvent(room, event.participantId, event.event);
  }

  private onRoomEvent(room: LocalRoom, ev: NonNullable<SfuEvent['event']>): void {
    if (ev.$case === 'speakersChanged') {
      const speakers = ev.value.speakers.map((s) => ({
        participantSid: s.participantId,
        level: s.level,
        active: s.active,
      }));
      room.broadcast(push('speakersChanged', { speakers }));
    } else if (ev.$case === 'routerClosed') {
      if (ev.value.reason !== RouterClosedReason.ROUTER_CLOSED_REASON_REQUESTED)
        this.ctx.rooms.lost(room, ev.value.reason);
    }
  }

  private onParticipantEvent(
    room: LocalRoom,
    participantId: string,
    ev: NonNullable<SfuEvent['event']>,
  ): void {
    const session = room.sessions.get(participantId);
    if (!session) return;
    const { media } = this.ctx;
    switch (ev.$case) {
      case 'subscriberOffer':
        session.send(push('subscriberOffer', { sdp: ev.value.sdp, id: ev.value.offerId }));
        return;
      case 'iceCandidate': {
        const c = ev.value.candidate;
        if (!c) return;
        session.send(
          push('trickle', {
            target: ev.value.target,
            candidate: c.candidate,
            ...(c.sdpMid !== undefined ? { sdpMid: c.sdpMid } : {}),
            ...(c.sdpMlineIndex !== undefined ? { sdpMlineIndex: c.sdpMlineIndex } : {}),
            ...(c.usernameFragment !== undefined ? { usernameFragment: c.usernameFragment } : {}),
          }),
        );
        return;
      }
      case 'peerState':
        if (
          ev.value.state === PeerConnectionState.PEER_CONNECTION_STATE_CONNECTED &&
          session.info.state === ParticipantState.PARTICIPANT_STATE_JOINING
        ) {
          session.info.state = ParticipantState.PARTICIPANT_STATE_ACTIVE;
          media.shareParticipant(session);
        }
        return;
      case 'trackPublished': {
        const published = ev.value;
        session.enqueue('track live', () => media.trackLive(session, published));
        return;
      }
      case 'trackClosed': {
        const closed = ev.value;
        session.enqueue('track closed', () => media.trackClosed(session, closed));
        return;
      }
      case 'subscribedQuality':
        session.send(
          push('subscribedQualityUpdate', {
            trackSid: ev.value.trackId,
            qualities: ev.value.layers.map((l) => ({ quality: l.quality, enabled: l.enabled })),
          }),
        );
        return;
      case 'transportFailure':
        this.ctx.logger.warn(
          { participant_sid: session.sid, reason: ev.value.reason },
          'media transport failed',
        );
        session.send(
          push('leave', {
            reason: DisconnectReason.DISCONNECT_REASON_MEDIA_FAILURE,
            action: LeaveAction.LEAVE_ACTION_RECONNECT,
          }),
        );
        this.ctx.departures.close(session, DisconnectReason.DISCONNECT_REASON_MEDIA_FAILURE, {
          closePeer: false,
        });
        return;
      case 'layerChanged':
      case 'speakersChanged':
      case 'routerClosed':
        return;
    }
  }
}
