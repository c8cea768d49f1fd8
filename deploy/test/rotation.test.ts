import { describe, expect, it } from 'vitest';
import { RotationInputError, initialSecrets, rotate, rotationDue } from '../src/turn/rotation.js';

describe('TURN secret rotation', () => {
  const start = new Date('2026-01-01T03:17:00Z');

  it('shifts next to current and current to previous, drawing a fresh next', () => {
    const before = initialSecrets(start);
    const after = rotate(before, new Date('2026-01-31T03:17:00Z'));
    expect(after.previous).toBe(before.current);
    expect(after.current).toBe(before.next);
    expect(new Set([after.next, before.previous, before.current, before.next]).size).toBe(4);
    expect(after.rotated_at).toBe('2026-01-31T03:17:00.000Z');
  });

  it('is due after 30 days and not before', () => {
    const stored = initialSecrets(start);
    expect(rotationDue(stored, new Date('2026-01-30T03:16:59Z'))).toBe(false);
    expect(rotationDue(stored, new Date('2026-01-31T03:17:00Z'))).toBe(true);
  });

  it('treats a missing or unreadable rotation time as due', () => {
    expect(rotationDue({ current: 'a', next: 'b' }, start)).toBe(true);
    expect(rotationDue({ current: 'a', next: 'b', rotated_at: 'yesterday' }, start)).toBe(true);
  });

  it('refuses to rotate secrets that lack current or next, changing nothing', () => {
    expect(() => rotate({ previous: 'x' }, start)).toThrow(RotationInputError);
  });
});
