// Running a script in a network namespace of its own that has only loopback (`unshare --net`), as on an
// offline laptop or a CI box without a LAN. The namespace also gets its own PID namespace: the script is
// its first process, so when it ends (or is killed) the kernel ends everything it started there, Chromium
// included; nothing can outlive the test.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The script is pid 1 of a new PID namespace; if unshare dies, the script is killed. */
const UNSHARE = ['--net', '--pid', '--fork', '--kill-child'];

/** The host pid of the process unshare forked (the script: sh execs node in place). */
function forkedChild(unsharePid: number | undefined): number | undefined {
  if (unsharePid === undefined) return undefined;
  try {
    const first = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8')
      .trim()
      .split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number | undefined, name: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Printed by the script before it exits: this prefix, then one line of JSON. */
export const RESULT_PREFIX = 'E2E_RESULT ';

/** Why no loopback-only namespace can be made here, or undefined when one can. */
export function loopbackNamespaceUnavailable(): string | undefined {
  const probe = spawnSync('unshare', [...UNSHARE, 'sh', '-c', 'ip link set lo up && ip -o link show'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (probe.error !== undefined) return `unshare cannot run: ${probe.error.message}`;
  if (probe.status !== 0)
    return `cannot create a network namespace (needs root, that is CAP_SYS_ADMIN, and iproute2): ${probe.stderr.trim()}`;
  const links = probe.stdout
    .split('\n')
    .map((l) => /^\d+:\s*([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
  if (links.join(',') !== 'lo') return `a new network namespace here has ${links.join(', ')}, not only lo`;
  return undefined;
}

export interface NamespaceRun {
  /** The JSON the script printed after RESULT_PREFIX, or undefined when it printed none. */
  result: unknown;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The script's stderr (its diagnostics), for failure messages. */
  stderr: string;
}

/**
 * Runs a TypeScript script (through tsx, workspace packages from their sources) inside a fresh
 * loopback-only namespace with `lo` up, and resolves when it has ended. After `timeoutMs` it is asked to
 * stop (SIGTERM, which it answers by cleaning up), then killed with everything in its namespace. The
 * script's TMPDIR is a folder of this run, removed at the end, so data folders and browser profiles of a
 * killed run do not stay behind.
 */
export function runInLoopbackNamespace(
  script: string,
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<NamespaceRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'origo-netns-'));
  const child = spawn(
    'unshare',
    [
      ...UNSHARE,
      '--',
      'sh',
      '-c',
      'ip link set lo up && exec "$@"',
      'sh',
      process.execPath,
      '--conditions=source',
      '--import',
      'tsx',
      script,
    ],
    { cwd: ROOT, env: { ...env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // If the test process goes first, unshare goes with it and its --kill-child stops the script.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let hardKill: NodeJS.Timeout | undefined;
  const stopTimer = setTimeout(() => {
    stderr += `\n[netns] no result within ${timeoutMs} ms: stopping the script\n`;
    // SIGTERM lets the script close Chromium and the platform and remove its data folder; if it does not
    // end, SIGKILL to it (pid 1 of its namespace) ends the whole namespace, as killing unshare does.
    const script = forkedChild(child.pid);
    if (script === undefined) child.kill('SIGKILL');
    else signal(script, 'SIGTERM');
    hardKill = setTimeout(() => {
      signal(script, 'SIGKILL');
      child.kill('SIGKILL');
    }, 30_000);
  }, timeoutMs);

  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(stopTimer);
      process.removeListener('exit', killOnExit);
      rmSync(scratch, { recursive: true, force: true });
      reject(err);
    });
    // 'close' waits for the pipes too: the script (pid 1 of the namespace) has ended, and with it the rest.
    child.once('close', (code, signal) => {
      clearTimeout(stopTimer);
      clearTimeout(hardKill);
      process.removeListener('exit', killOnExit);
      rmSync(scratch, { recursive: true, force: true });
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith(RESULT_PREFIX));
      let result: unknown;
      if (line !== undefined) {
        try {
          result = JSON.parse(line.slice(RESULT_PREFIX.length)) as unknown;
        } catch {
          stderr += `\n[netns] unreadable result line: ${line}\n`;
        }
      }
      resolve({ result, code, signal, stderr });
    });
  });
}
