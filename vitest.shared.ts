// Shared vitest settings: resolve workspace packages to their TypeScript sources ("source" export
// condition), so tests never run against a stale dist/ build.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['source', 'node', 'import', 'default'] } },
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    pool: 'forks',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Names the file a silently dying worker was running (only with ORIGO_TEST_TRACE; see the file).
    setupFiles: [fileURLToPath(new URL('./vitest.trace.ts', import.meta.url))],
  },
});
