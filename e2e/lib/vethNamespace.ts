// A network namespace joined to this one by a veth pair, so a test can take one browser's network away
// and give it back: `linkDown()` / `linkUp()` on the interface inside the namespace. Traffic stays on this
// machine (ENVIRONMENT.md): the namespace has no route but the /30 to the host side of the pair.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Every namespace this module makes starts with it, followed by the creating pid. */
const PREFIX = 'origo-rec-';

export interface NetNamespace {
  /** `ip netns` name. */
  readonly name: string;
  /** The address of the host side of the pair (root namespace); listen here to be reachable. */
  readonly hostAddress: string;
  /** The address of the namespace side. */
  readonly nsAddress: string;
  /** Interface names: host side, namespace side. */
  readonly hostIf: string;
  readonly nsIf: string;
  /** An executable that runs Chromium inside the namespace (playwright's executablePath). */
  readonly chromiumPath: string;
  /** Takes the interface inside the namespace down: its sockets lose the network. */
  linkDown(): Promise<void>;
  linkUp(): Promise<void>;
  /** Removes the namespace, the pair and the wrapper script; safe to call twice. */
  destroy(): void;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 15_000 });
}

function ipSync(...args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: 'ignore', timeout: 15_000 });
  } catch {
    // Cleanup of something that may already be gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces of earlier runs whose process died before its cleanup ran (a killed test runner). */
function reapOrphans(): void {
  let list = '';
  try {
    list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 15_000 });
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}(\\d+)-\\d+$`).exec(name);
    if (m === null || alive(Number(m[1]))) continue;
    // Deleting the namespace destroys its veth end, which takes the host end with it.
    ipSync('netns', 'del', name);
  }
}

/** A /30 in 10.201.0.0/16 no interface of this machine uses yet, starting from one the pid picks. */
function freeSubnet(seq: number): { host: string; ns: string } {
  const used = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8', timeout: 15_000 });
  const start = (process.pid * 8 + seq) % 16_384;
  for (let i = 0; i < 16_384; i++) {
    const n = (start + i) % 16_384;
    const base = `10.201.${n >> 6}.${(n & 63) * 4}`;
    const parts = base.split('.').map(Number);
    const host = `10.201.${parts[2]}.${parts[3]! + 1}`;
    const ns = `10.201.${parts[2]}.${parts[3]! + 2}`;
    if (!used.includes(` ${host}/`) && !used.includes(` ${ns}/`)) return { host, ns };
  }
  throw new Error('no free /30 in 10.201.0.0/16');
}

let sequence = 0;
const open = new Set<NetNamespace>();
let exitHookInstalled = false;

/**
 * Why namespaces cannot be made here (not root, no `ip`, a kernel without them), or null when they can.
 * Tries for real: creates and removes a namespace.
 */
export async function netnsUnavailable(): Promise<string | null> {
  const name = `${PREFIX}${process.pid}-probe`;
  try {
    await ip('netns', 'add', name);
  } catch (e) {
    return `cannot create a network namespace (needs root and iproute2): ${(e as Error).message.trim()}`;
  }
  ipSync('netns', 'del', name);
  return null;
}

/** Creates the namespace and the veth pair, both ends up with their /30 addresses. */
export async function createNetns(chromium: string): Promise<NetNamespace> {
  reapOrphans();
  const seq = sequence++;
  const name = `${PREFIX}${process.pid}-${seq}`;
  // Interface names are at most 15 characters.
  const tag = `${process.pid.toString(36)}${seq.toString(36)}`;
  const hostIf = `orh${tag}`;
  const nsIf = `orn${tag}`;
  const { host, ns } = freeSubnet(seq);
  const dir = mkdtempSync(join(tmpdir(), 'origo-netns-'));
  const chromiumPath = join(dir, 'chromium-in-netns');
  let destroyed = false;
  const self: NetNamespace = {
    name,
    hostAddress: host,
    nsAddress: ns,
    hostIf,
    nsIf,
    chromiumPath,
    linkDown: () => ip('-n', name, 'link', 'set', nsIf, 'down'),
    linkUp: () => ip('-n', name, 'link', 'set', nsIf, 'up'),
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      open.delete(self);
      ipSync('netns', 'del', name);
      ipSync('link', 'del', hostIf);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  open.add(self);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A runner that exits without afterAll (an uncaught error) still leaves nothing behind.
    process.once('exit', () => {
      for (const n of [...open]) n.destroy();
    });
  }
  try {
    await ip('netns', 'add', name);
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ip('link', 'set', nsIf, 'netns', name);
    await ip('addr', 'add', `${host}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    await ip('-n', name, 'addr', 'add', `${ns}/30`, 'dev', nsIf);
    await ip('-n', name, 'link', 'set', nsIf, 'up');
    // exec keeps the pid and the inherited pipe descriptors playwright talks to the browser over.
    writeFileSync(chromiumPath, `#!/bin/sh\nexec ip netns exec ${name} ${chromium} "$@"\n`, { mode: 0o755 });
  } catch (e) {
    self.destroy();
    throw e;
  }
  return self;
}
