// The fuzz targets with fixed seeds (reproducible in every run), plus the inputs that once broke a target,
// kept as regression cases. `npm run fuzz` runs the same targets for a time budget with fresh seeds.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { MEDIA_TARGETS } from './fuzz/targets.js';

describe.each(MEDIA_TARGETS)('fuzz target $name', (target) => {
  it('holds for 3,000 generated inputs (fixed seed)', () => {
    fc.assert(target.property, { seed: 20261130, numRuns: 3_000 });
  });
});
