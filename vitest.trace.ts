// Loaded into every test worker when ORIGO_TEST_TRACE is set (.ci/run sets it): one stderr line when a
// test file starts and one when it ends, with the worker's pid. When a worker dies without a word
// ("Worker exited unexpectedly": a native crash, an abort), .ci/run names the file that started and
// never ended, which vitest itself does not say.
import { afterAll, beforeAll, expect } from 'vitest';

if (process.env['ORIGO_TEST_TRACE']) {
  const file = (): string => expect.getState().testPath ?? 'unknown file';
  beforeAll(() => {
    process.stderr.write(`[test-trace] start pid=${process.pid} ${file()}\n`);
  });
  afterAll(() => {
    process.stderr.write(`[test-trace] end pid=${process.pid} ${file()}\n`);
  });
  process.on('exit', (code) => {
    process.stderr.write(`[test-trace] exit pid=${process.pid} code=${code}\n`);
  });
}
