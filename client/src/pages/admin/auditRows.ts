// What an audit row says about who did it and to what, beyond the bare ids: the person who joined or left
// a meeting by the name they joined under (a guest has no account to look the name up in), and the meeting
// a recording belongs to.

/** The participant a join or leave row names; null for other rows and for rows written before names were kept. */
export function participantOf(e: {
  action: string;
  after: unknown;
}): { identity: string; name: string } | null {
  if (e.action !== 'meeting.participant_joined' && e.action !== 'meeting.participant_left') return null;
  const after = e.after as { participantIdentity?: unknown; participantName?: unknown } | null;
  if (after === null || typeof after !== 'object') return null;
  const identity = typeof after.participantIdentity === 'string' ? after.participantIdentity : '';
  const name = typeof after.participantName === 'string' ? after.participantName.trim() : '';
  if (identity === '' && name === '') return null;
  return { identity, name };
}

/** A recording row's meeting, by title when the row's snapshot has it: "Board review (mtg_...)". */
export function recordingMeeting(e: {
  entity: string;
  before: unknown;
  after: unknown;
  meetingId?: string | null;
}): string | null {
  if (e.entity !== 'recording') return null;
  const snap = (e.after ?? e.before) as { meetingId?: unknown; meetingTitle?: unknown } | null;
  const id = e.meetingId ?? (typeof snap?.meetingId === 'string' ? snap.meetingId : null);
  if (id === null || id === '') return null;
  const title = typeof snap?.meetingTitle === 'string' && snap.meetingTitle !== '' ? snap.meetingTitle : null;
  return title === null ? id : `${title} (${id})`;
}
