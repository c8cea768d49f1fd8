import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/backoff.js';

describe('backoffDelayMs', () => {
  it('doubles from the base, stays between half and all of the step, and stops at the cap', () => {
    const opts = { baseMs: 1000, maxMs: 10_000 };
    expect(backoffDelayMs(1, { ...opts, random: () => 0 })).toBe(500);
    expect(backoffDelayMs(1, { ...opts, random: () => 1 })).toBe(1000);
    expect(backoffDelayMs(3, { ...opts, random: () => 1 })).toBe(4000);
    expect(backoffDelayMs(3, { ...opts, random: () => 0 })).toBe(2000);
    expect(backoffDelayMs(50, { ...opts, random: () => 1 })).toBe(10_000);
  });

  it('refuses nonsense arguments', () => {
    expect(() => backoffDelayMs(0, { baseMs: 1, maxMs: 2 })).toThrow(RangeError);
    expect(() => backoffDelayMs(1, { baseMs: 10, maxMs: 2 })).toThrow(RangeError);
  });
});
