import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runFloor } from '../src/floor/cli.js';

const hasCc = spawnSync(process.env['CC'] ?? 'cc', ['--version'], { stdio: 'ignore' }).status === 0;

describe('bench:floor', () => {
  it.skipIf(!hasCc)('times a fan-out with sendto and with sendmmsg and reports every figure', () => {
    const r = runFloor(4, 3, 200, 3, -1);
    expect(r).toMatchObject({ subscribers: 4, packetsPerFrame: 3, packetBytes: 200, frames: 3 });
    for (const f of [r.sendto, r.sendmmsg]) {
      expect(f.usPerCopy).toBeGreaterThan(0);
      expect(f.burstMeanMs).toBeGreaterThan(0);
      expect(f.burstMaxMs).toBeGreaterThanOrEqual(f.burstP99Ms);
    }
  });

  it.skipIf(!hasCc)('refuses arguments out of range with the reason', () => {
    expect(() => runFloor(0, 3, 200, 3, -1)).toThrow(/argument out of range/);
  });
});
