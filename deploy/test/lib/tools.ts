// Debian tools the deploy suites drive (kubectl, promtool, amtool, turnserver, openssl). CI installs them
// (.ci/run); on a laptop without one, the suites that need it skip and say which package brings it.
import { spawnSync } from 'node:child_process';

const PACKAGES: Record<string, string> = {
  kubectl: 'kubectl (or any kubectl 1.27+ with kustomize)',
  promtool: 'prometheus',
  amtool: 'prometheus-alertmanager',
  turnserver: 'coturn',
  openssl: 'openssl',
};

export function hasTool(name: string): boolean {
  const probe = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim().length > 0;
}

/** A reason to skip, printed once, or undefined when every tool is present. */
export function missingTools(...names: string[]): string | undefined {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return undefined;
  const reason = `skipped: ${missing.join(', ')} not installed (apt-get install ${missing.map((m) => PACKAGES[m] ?? m).join(' ')}); .ci/run installs them`;
  console.warn(`[deploy tests] ${reason}`);
  return reason;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  options: { cwd?: string; input?: string } = {},
): RunResult {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
