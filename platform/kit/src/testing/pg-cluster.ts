// A PostgreSQL server of a test's own: a fresh cluster in a temp dir on a free loopback port, which the
// test may stop and start at will (outage tests). Never touches the machine's shared server. PostgreSQL
// refuses to run as root, so as root the binaries run as the `postgres` OS user (runuser) in a temp dir
// that user owns.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication on loopback). */
  readonly url: string;
  readonly port: number;
  /** The temp dir holding the data dir, the socket and the server log. */
  readonly dir: string;
  /** Starts the server and resolves once it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: sessions are terminated (57P01) and new connections refused. */
  stop(): Promise<void>;
  /** Stops the server if it runs and removes the temp dir; safe to call twice. */
  destroy(): Promise<void>;
  /** The server log's last lines, for a failing test's message. */
  logTail(lines?: number): string;
}

const SEARCH_ROOT = '/usr/lib/postgresql';
const REQUIRED = ['initdb', 'pg_ctl', 'postgres'];

/**
 * Where initdb, pg_ctl and postgres live: PG_BIN_DIR, else the newest /usr/lib/postgresql/<n>/bin
 * (Debian's layout). Undefined when they are not installed.
 */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const complete = (dir: string) => REQUIRED.every((name) => existsSync(join(dir, name)));
  const configured = env['PG_BIN_DIR'];
  if (configured !== undefined && configured !== '') return complete(configured) ? configured : undefined;
  if (!existsSync(SEARCH_ROOT)) return undefined;
  const versions = readdirSync(SEARCH_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(SEARCH_ROOT, version, 'bin');
    if (complete(dir)) return dir;
  }
  return undefined;
}

/** Why a private cluster cannot run here, or undefined when it can. */
export function postgresClusterUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (findPostgresBinaries(env) === undefined)
    return `PostgreSQL server binaries (${REQUIRED.join(', ')}) not found under ${SEARCH_ROOT}/<version>/bin or PG_BIN_DIR`;
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root, and there is no postgres OS user to run the server as';
    }
  }
  return undefined;
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Creates the cluster and starts it. Call `destroy()` in the test's teardown, whatever happened. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const unavailable = postgresClusterUnavailable();
  if (unavailable !== undefined) throw new Error(`cannot start a private PostgreSQL: ${unavailable}`);
  const bin = findPostgresBinaries() as string;
  const asRoot = process.getuid?.() === 0;
  // Without a login shell, so PATH and the environment stay ours; the binaries are given by full path.
  const invocation = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  const tool = (name: string, args: string[], timeoutMs = 60_000) =>
    run(...invocation(name, args), timeoutMs);

  const dir = await mkdtemp(join(tmpdir(), 'origo-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  let running = false;
  let destroyed: Promise<void> | undefined;

  const stopNowSync = () => {
    // The test process is leaving without its teardown (a crash, a kill of the worker): do not leave a
    // server behind.
    if (!running) return;
    try {
      execFileSync(...invocation('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '10', 'stop']), {
        stdio: 'ignore',
        timeout: 15_000,
      });
    } catch {
      // Nothing more can be done at exit.
    }
  };
  process.once('exit', stopNowSync);

  const cluster: PostgresCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async start() {
      const options = [
        `-c port=${port}`,
        '-c listen_addresses=127.0.0.1',
        `-c unix_socket_directories=${dir}`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=50',
      ].join(' ');
      await tool('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start'], 90_000);
      running = true;
    },
    async stop() {
      await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'], 90_000);
      running = false;
    },
    destroy() {
      destroyed ??= (async () => {
        try {
          if (running) await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
          running = false;
        } finally {
          process.removeListener('exit', stopNowSync);
          await rm(dir, { recursive: true, force: true });
        }
      })();
      return destroyed;
    },
    logTail(lines = 30) {
      try {
        return readFileSync(log, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '(no server log)';
      }
    },
  };

  try {
    await tool('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
      '--no-instructions',
    ]);
    await cluster.start();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}
