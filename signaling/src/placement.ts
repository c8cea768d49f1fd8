// Where a room's router lives and who is in the room, as signaling records them in the shared kv. The key
// names and readers live in the kit (`@origo/kit/bus`), so roles that cannot depend on signaling (control)
// read the same facts; this module keeps the path the recorder imports.
export {
  participantsKey,
  placementKey,
  readParticipantNames,
  readPlacement,
  type Placement,
} from '@origo/kit/bus';
