import { describe, expect, it } from 'vitest';
import type { MemberPresence } from '../api/presence.js';
import { presenceLine } from './presence.js';

const member = (over: Partial<MemberPresence>): MemberPresence => ({
  user_id: 'usr_a',
  display_name: 'Alice',
  state: 'online',
  since: '2030-01-01T00:00:00Z',
  meetings: [],
  ...over,
});

describe('presence in words', () => {
  it('names the meeting when the viewer may read it, and only then', () => {
    const weekly = [{ id: 'mtg_1', title: 'Weekly sync' }];
    expect(presenceLine(member({ state: 'in_meeting', meetings: weekly }), 'usr_b')).toBe(
      'In a meeting now: Alice in Weekly sync',
    );
    expect(presenceLine(member({ state: 'in_meeting' }), 'usr_b')).toBe('In a meeting now: Alice');
    expect(presenceLine(member({ state: 'away', meetings: weekly }), 'usr_b')).toBe(
      'Away: Alice (in Weekly sync)',
    );
    expect(presenceLine(member({ state: 'away' }), 'usr_b')).toBe('Away: Alice');
    expect(presenceLine(member({}), 'usr_a')).toBe('Online: Alice (you)');
  });
});
