import { describe, expect, it } from 'vitest';
import { timeLimitText } from './timeLimit.js';

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const ends = Date.UTC(2026, 11, 1, 10, 40);
const warning = { endsAtMs: ends, limitMinutes: 40, planName: 'Free' };

describe('timeLimitText', () => {
  it('says when the meeting ends, how long is left, why, and what to do', () => {
    expect(timeLimitText(warning, ends - 5 * 60_000, clock)).toBe(
      'This meeting ends in 5 minutes (at 10:40): the Free plan allows meetings of 40 minutes. ' +
        'Start a new meeting to go on, or ask an admin about a larger plan.',
    );
  });

  it('counts a part of a minute as a minute, and never goes below now', () => {
    expect(timeLimitText(warning, ends - 4 * 60_000 - 1, clock)).toContain('ends in 5 minutes');
    expect(timeLimitText(warning, ends - 30_000, clock)).toContain('ends within a minute');
    expect(timeLimitText(warning, ends + 10_000, clock)).toContain('ends now');
    expect(timeLimitText({ ...warning, planName: '' }, ends - 60_000 * 3, clock)).toContain(
      'this plan allows',
    );
  });
});
