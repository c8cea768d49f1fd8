import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.js';

// Two suites start the whole platform (and one a TURN server); on a loaded two-core machine that can take
// minutes, so hooks get a generous deadline.
export default mergeConfig(shared, defineConfig({ test: { hookTimeout: 300_000, testTimeout: 120_000 } }));
