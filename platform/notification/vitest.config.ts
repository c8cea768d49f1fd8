import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// Several tests start two or three embedded databases (notification, auth, control) and real peers; on a
// shared two-core machine under load a PGlite start alone can take a minute. Generous deadlines, never
// timed assertions.
export default mergeConfig(shared, defineConfig({ test: { testTimeout: 240_000, hookTimeout: 300_000 } }));
