// What a room client says about itself when something goes wrong: connection states, the subscriber's
// transceivers, the tracks it holds and the participants' track lists. Printed by the e2e tests on
// failure; nothing here is shown to people.
import type { PublisherConnection } from './PublisherConnection.js';
import type { RemoteTracks } from './RemoteTracks.js';
import type { RoomState } from './roomState.js';
import type { SubscriberConnection } from './SubscriberConnection.js';

export function describeRoom(room: {
  phase: string;
  pub: PublisherConnection | null;
  sub: SubscriberConnection | null;
  state: RoomState;
  remote: RemoteTracks;
}): Record<string, unknown> {
  const { pub, sub, state } = room;
  return {
    phase: room.phase,
    pub: pub?.connectionState,
    sub: sub?.connectionState,
    subSignaling: sub?.pc.signalingState,
    subTransceivers: sub?.pc.getTransceivers().map((t) => `${t.mid}:${t.direction}:${t.receiver.track.kind}`),
    tracks: Object.entries(state.tracks).map(
      ([sid, t]) => `${sid}:${t.info.source}:${t.stream ? 'stream' : 'none'}`,
    ),
    participants: Object.values(state.participants).map(
      (p) => `${p.name}:${p.tracks.map((t) => `${t.sid}/${t.source}/${t.muted ? 'muted' : 'on'}`).join(',')}`,
    ),
    ...room.remote.debug(),
  };
}
