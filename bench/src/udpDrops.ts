// Attributes UDP receive-buffer drops to a process: sums the `drops` column of /proc/net/udp over
// the sockets whose inodes the process holds (/proc/<pid>/fd). Tells whether loss happened at the
// SFU's sockets (it fell behind) or at the generator's (the load generator fell behind). Linux only;
// returns -1 where /proc is not readable.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const l = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (l.startsWith('socket:[')) out.add(l.slice(8, -1));
    } catch {
      // fd closed meanwhile
    }
  }
  return out;
}

export function udpDrops(pid: number): number {
  try {
    const inodes = socketInodes(pid);
    let drops = 0;
    const lines = readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
      if (f.length >= 13 && inodes.has(f[9]!)) drops += Number(f[12]);
    }
    return drops;
  } catch {
    return -1;
  }
}
