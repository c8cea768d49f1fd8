import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.js';

// Browser end-to-end tests: real Chromium, real services started in-process on port 0.
export default mergeConfig(
  shared,
  defineConfig({
    root: fileURLToPath(new URL('.', import.meta.url)),
    test: {
      include: ['**/*.test.ts'],
      testTimeout: 180_000,
      hookTimeout: 180_000,
      // One browser test file at a time: two cores, and media timing suffers under contention.
      fileParallelism: false,
    },
  }),
);
