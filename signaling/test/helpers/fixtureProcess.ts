// A fixture script (TypeScript, run through tsx with the workspace sources) in a child process: resolves once
// it prints its `{"ready":true,...}` line, keeps its output for failure messages, and registers a cleanup
// that stops it (SIGTERM) unless the test already killed it.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface FixtureProcess {
  child: ChildProcess;
  /** The ready line, parsed. */
  ready: Record<string, unknown>;
  exited: Promise<void>;
  output: string[];
}

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function spawnFixture(
  script: string,
  env: Record<string, string>,
  onCleanup: (fn: () => Promise<void>) => void,
  timeoutMs = 60_000,
): Promise<FixtureProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    cwd: packageDir,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const tail = (): string => output.slice(-5).join('\n');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${tail()}`)), timeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before it was ready: ${tail()}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      try {
        const value = JSON.parse(line) as Record<string, unknown>;
        if (value['ready'] === true) {
          clearTimeout(timer);
          resolve({ child, ready: value, exited, output });
        }
      } catch {
        // a line that is not JSON: kept for the failure message only
      }
    });
  });
}
