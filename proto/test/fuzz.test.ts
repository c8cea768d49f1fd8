// The protocol fuzz target with a fixed seed (reproducible in every run); `npm run fuzz` runs it longer.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { PROTOCOL_TARGETS } from './fuzz/targets.js';

describe.each(PROTOCOL_TARGETS)('fuzz target $name', (target) => {
  it('holds for 3,000 generated inputs (fixed seed)', () => {
    fc.assert(target.property, { seed: 20261130, numRuns: 3_000 });
  });
});
