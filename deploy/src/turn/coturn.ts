// Starts Debian's turnserver with deploy/coturn's configuration, rendered by deploy/coturn/render-config.sh
// exactly as the container does; only listener addresses, ports, file paths and the caller's extra lines
// are the test's own. Used by the deploy suite (what coturn relays and refuses) and the browser
// end-to-end tests (a meeting relayed through it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../ports.js';
import { TurnClient } from './client.js';
import { restCredentials } from './credentials.js';

/** deploy/, from src/turn/ and from dist/turn/ alike. */
const DEPLOY_DIR = fileURLToPath(new URL('../../', import.meta.url));

export interface CoturnOptions {
  /**
   * Lines appended to the rendered configuration, as an environment's overlay would add them. The
   * committed file refuses loopback and private peers; a test whose SFU listens on 127.0.0.1 allows it
   * back with `allow-loopback-peers` and `allowed-peer-ip=127.0.0.1` (coturn needs both).
   */
  extraConfig?: readonly string[];
}

export interface Coturn {
  port: number;
  tlsPort: number;
  /** The ports coturn relays on (its allocations' relayed addresses are on 127.0.0.1 or ::1). */
  relayPorts: { min: number; max: number };
  secrets: { previous: string; current: string; next: string };
  certPem: string;
  log(): string;
  stop(): Promise<void>;
}

function run(command: string, args: string[]): { status: number; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stderr: result.stderr };
}

/** Secrets, a self-signed certificate and the rendered configuration, all under `dir`. */
async function prepare(
  dir: string,
  options: CoturnOptions,
): Promise<{ conf: string; secrets: Coturn['secrets']; certPem: string }> {
  const secretsDir = join(dir, 'secrets');
  await mkdir(secretsDir);
  const secrets = {
    previous: randomBytes(24).toString('base64url'),
    current: randomBytes(24).toString('base64url'),
    next: randomBytes(24).toString('base64url'),
  };
  for (const [name, value] of Object.entries(secrets))
    await writeFile(join(secretsDir, name), value, { mode: 0o600 });
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  const made = run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=turn.test',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  const certPem = await readFile(cert, 'utf8');

  const conf = join(dir, 'turnserver.conf');
  const rendered = run(join(DEPLOY_DIR, 'coturn', 'render-config.sh'), [
    join(DEPLOY_DIR, 'coturn', 'turnserver.conf'),
    secretsDir,
    conf,
    `cert=${cert}`,
    `pkey=${key}`,
    'listening-ip=127.0.0.1',
    'listening-ip=::1',
    'relay-ip=127.0.0.1',
    'relay-ip=::1',
    `pidfile=${join(dir, 'turnserver.pid')}`,
    `userdb=${join(dir, 'turndb')}`,
    ...(options.extraConfig ?? []),
  ]);
  if (rendered.status !== 0) throw new Error(`render-config.sh failed: ${rendered.stderr}`);

  return { conf, secrets, certPem };
}

export async function startCoturn(options: CoturnOptions = {}): Promise<Coturn> {
  const dir = await mkdtemp(join(tmpdir(), 'origo-coturn-'));
  let prepared: { conf: string; secrets: Coturn['secrets']; certPem: string };
  try {
    prepared = await prepare(dir, options);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const { conf, secrets, certPem } = prepared;

  const port = await freePort();
  let tlsPort = await freePort();
  while (tlsPort === port) tlsPort = await freePort();
  // A relay range of its own per run, away from the ephemeral ports other tests bind.
  const minPort = 50_000 + Math.floor(Math.random() * 9_000);
  const child: ChildProcess = spawn(
    'turnserver',
    [
      '-c',
      conf,
      '--listening-port',
      String(port),
      '--tls-listening-port',
      String(tlsPort),
      '--min-port',
      String(minPort),
      '--max-port',
      String(minPort + 199),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  // If the test process ends without stop() (a crash, a killed worker), turnserver goes with it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  // Ready when an allocation succeeds; the client retransmits, so this waits on coturn, not a clock.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null) {
      await stop();
      throw new Error(`turnserver exited during start: ${spawnError?.message ?? ''}\n${output}`);
    }
    const { username, password } = restCredentials(secrets.current, 'readiness', 60);
    const client = await TurnClient.open({
      server: { address: '127.0.0.1', port },
      username,
      password,
      timeoutMs: 2000,
    });
    try {
      await client.allocate();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`turnserver did not answer within 30 s: ${(err as Error).message}\n${output}`);
      }
    } finally {
      await client.close();
    }
  }
  return {
    port,
    tlsPort,
    relayPorts: { min: minPort, max: minPort + 199 },
    secrets,
    certPem,
    log: () => output,
    stop,
  };
}
