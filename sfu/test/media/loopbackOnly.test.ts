// A host whose only interface is loopback (CI boxes, network namespaces, an offline laptop) must
// still carry media: the peers and the SFU run in a fresh network namespace with only `lo` up
// (`unshare -rn`, no root needed where user namespaces are allowed), nothing leaves it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { transportsUnderTest } from './transports.js';

const SCRIPT = fileURLToPath(new URL('./loopbackPeers.ts', import.meta.url));

function runInNamespace(transport: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'unshare',
      [
        '-rn',
        'sh',
        '-c',
        'ip link set lo up && exec "$0" --conditions=source --import tsx "$1" "$2"',
        process.execPath,
        SCRIPT,
        transport,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start unshare (util-linux) for the loopback-only namespace: ${e.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// werift gathers no candidate on a loopback-only host (ENVIRONMENT.md); only ndc is held to this here.
describe.each(transportsUnderTest().filter((t) => t === 'ndc'))('loopback-only host (%s)', (transport) => {
  it('two libwebrtc peers meet through the SFU in a namespace with only lo', async () => {
    const { code, stdout, stderr } = await runInNamespace(transport);
    const line = stdout.trim().split('\n').pop() ?? '';
    let result: { ok?: boolean; frames?: number; candidates?: string[]; error?: string };
    try {
      result = JSON.parse(line) as typeof result;
    } catch {
      throw new Error(`no result from the namespace (exit ${code}): ${stdout} ${stderr}`);
    }
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.frames).toBeGreaterThanOrEqual(10);
    // The SFU offered loopback candidates: the only address there is.
    expect(result.candidates?.some((c) => / 127\.0\.0\.1 \d+ typ host/.test(c)) ?? false).toBe(true);
  }, 120_000);
});
