import { describe, expect, it } from 'vitest';
import { participantOf, recordingMeeting } from './auditRows.js';

describe('participantOf', () => {
  it('names the person of a join or leave row, a guest included', () => {
    expect(
      participantOf({
        action: 'meeting.participant_joined',
        after: { participantIdentity: 'gst_abc', participantName: 'Grace Guest', participantCount: 2 },
      }),
    ).toEqual({ identity: 'gst_abc', name: 'Grace Guest' });
    expect(
      participantOf({
        action: 'meeting.participant_left',
        after: { participantIdentity: 'usr_1', participantName: '' },
      }),
    ).toEqual({ identity: 'usr_1', name: '' });
  });

  it('leaves other rows and rows written before names were kept as they are', () => {
    expect(participantOf({ action: 'meeting.create', after: { title: 'x' } })).toBeNull();
    // An older join row: the meeting's state before and after, no participant.
    expect(
      participantOf({ action: 'meeting.participant_joined', after: { id: 'mtg_1', participantCount: 2 } }),
    ).toBeNull();
    expect(participantOf({ action: 'meeting.participant_joined', after: null })).toBeNull();
  });
});

describe('recordingMeeting', () => {
  it('names the meeting of a recording row by title and id', () => {
    expect(
      recordingMeeting({
        entity: 'recording',
        meetingId: 'mtg_1',
        before: null,
        after: { meetingId: 'mtg_1', meetingTitle: 'Board review' },
      }),
    ).toBe('Board review (mtg_1)');
    // A deleted recording: only the snapshot before.
    expect(
      recordingMeeting({
        entity: 'recording',
        before: { meetingId: 'mtg_2', meetingTitle: null },
        after: null,
      }),
    ).toBe('mtg_2');
    expect(recordingMeeting({ entity: 'meeting', before: null, after: null })).toBeNull();
  });
});
