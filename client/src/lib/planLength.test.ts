import { describe, expect, it } from 'vitest';
import { formatMeetingLength } from './planLength.js';

describe('formatMeetingLength', () => {
  it('shows whole hours in hours and the rest in minutes', () => {
    expect(formatMeetingLength(1800)).toBe('30 h');
    expect(formatMeetingLength(40)).toBe('40 min');
    expect(formatMeetingLength(90)).toBe('1 h 30 min');
    expect(formatMeetingLength(60)).toBe('1 h');
    expect(formatMeetingLength(120)).toBe('2 h');
    expect(formatMeetingLength(1)).toBe('1 min');
    expect(formatMeetingLength(0)).toBe('0 min');
  });

  it('spells the units out in sentences, singular where it is one', () => {
    expect(formatMeetingLength(1800, 'long')).toBe('30 hours');
    expect(formatMeetingLength(40, 'long')).toBe('40 minutes');
    expect(formatMeetingLength(61, 'long')).toBe('1 hour 1 minute');
    expect(formatMeetingLength(90, 'long')).toBe('1 hour 30 minutes');
    expect(formatMeetingLength(1, 'long')).toBe('1 minute');
  });

  it('rounds to whole minutes and never goes negative', () => {
    expect(formatMeetingLength(89.6)).toBe('1 h 30 min');
    expect(formatMeetingLength(-5, 'long')).toBe('0 minutes');
  });
});
