import { describe, expect, it } from 'vitest';
import { timeLimitEndedParams, timeLimitEndedText, timeLimitText } from './timeLimit.js';

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const ends = Date.UTC(2026, 11, 1, 10, 40);
const warning = { endsAtMs: ends, limitMinutes: 40, planName: 'Free' };

describe('timeLimitText', () => {
  it('says when the meeting ends, how long is left, why, and what to do', () => {
    expect(timeLimitText(warning, ends - 5 * 60_000, clock)).toBe(
      'This meeting ends in 5 minutes (at 10:40): the Free plan allows meetings of 40 minutes. ' +
        'Start a new meeting to go on. For longer meetings, the organization needs a larger plan, which ' +
        'the operator of this Origo installation sets in Admin, Plan and usage.',
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

describe('the page after a meeting ended at its cap', () => {
  it('names the plan and its limit, says the meeting ended for everyone and how to go on', () => {
    const params = timeLimitEndedParams(warning);
    expect(params).toEqual({ limit: '40', plan: 'Free' });
    const text = timeLimitEndedText(params['limit'], params['plan']);
    expect(text.title).toBe("The meeting ended at its plan's time limit");
    expect(text.detail).toBe(
      "The Free plan of the host's organization allows meetings of up to 40 minutes, so the meeting " +
        'ended for everyone. To go on, start a new meeting. For longer meetings, the organization needs a ' +
        'larger plan, which the operator of this Origo installation sets in Admin, Plan and usage.',
    );
  });

  it('says one minute in the singular, in the banner and after', () => {
    const one = { endsAtMs: ends, limitMinutes: 1, planName: 'Trial' };
    expect(timeLimitText(one, ends - 30_000, clock)).toContain('the Trial plan allows meetings of 1 minute.');
    expect(timeLimitEndedText('1', 'Trial').detail).toContain('allows meetings of up to 1 minute,');
  });

  it('says long caps in hours, in the banner and after', () => {
    const pro = { endsAtMs: ends, limitMinutes: 1800, planName: 'Pro' };
    expect(timeLimitText(pro, ends - 60_000 * 10, clock)).toContain(
      'the Pro plan allows meetings of 30 hours.',
    );
    expect(timeLimitEndedText('90', 'Team').detail).toContain('allows meetings of up to 1 hour 30 minutes,');
  });

  it('leaves out what the address does not carry well, and still says why the meeting ended', () => {
    expect(timeLimitEndedParams(null)).toEqual({});
    expect(timeLimitEndedParams({ ...warning, planName: '' })).toEqual({ limit: '40' });
    for (const [limit, plan] of [
      [undefined, undefined],
      ['forty', 'Free'],
      ['0', 'Free'],
      ['-5', 'Free'],
    ] as const) {
      expect(timeLimitEndedText(limit, plan).detail).toMatch(
        /^The plan of the host's organization limits how long a meeting can last, so the meeting ended/,
      );
    }
    expect(timeLimitEndedText('40', ' ').detail).toMatch(/^The plan of the host's organization allows/);
    expect(timeLimitEndedText('40', 'x'.repeat(81)).detail).toMatch(/^The plan of/);
  });
});
