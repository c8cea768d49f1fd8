// What the report says about the machine: CPUs, Node, load, and how much of each core a busy loop
// actually gets right now (on a shared machine other work takes its share, and every figure moves).
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { hasTaskset } from './media/sfuProcess.js';

export interface MachineInfo {
  cpuModel: string;
  logicalCpus: number;
  memoryGiB: number;
  node: string;
  platform: string;
  taskset: boolean;
  loadavg: number[];
  /** Share of one core a 300 ms busy loop pinned to it obtained, per core; empty without taskset. */
  cpuAvailablePercent: number[];
}

const SPIN =
  'const t=performance.now(),c0=process.cpuUsage();while(performance.now()-t<300){}' +
  'const c=process.cpuUsage(c0);process.stdout.write(String((c.user+c.system)/1e3/(performance.now()-t)*100))';

export function cpuAvailability(): number[] {
  if (!hasTaskset()) return [];
  const out: number[] = [];
  for (let cpu = 0; cpu < Math.min(2, cpus().length); cpu++) {
    const r = spawnSync('taskset', ['-c', String(cpu), process.execPath, '-e', SPIN], { encoding: 'utf8' });
    out.push(Math.round(Number(r.stdout) * 10) / 10);
  }
  return out;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpuModel: c[0]?.model ?? 'unknown',
    logicalCpus: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    taskset: hasTaskset(),
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    cpuAvailablePercent: cpuAvailability(),
  };
}
