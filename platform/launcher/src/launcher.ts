import type { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import {
  AddressBook,
  ConfigError,
  SecretStore,
  commonConfigSchema,
  createLogger,
  loadConfig,
  startTracing,
  type Logger,
  type RoleDefinition,
  type RunningRole,
} from '@origo/kit';

/** Shutdown must finish within this budget (Kubernetes' default grace period is 30 s; we promise 10). */
export const SHUTDOWN_BUDGET_MS = 10_000;
/** A second signal within this window repeats the first; a later one means "exit now". */
const REPEATED_SIGNAL_MS = 1000;
/** Roles that carry client connections to the others: stopped last, so what the others say on the way out reaches clients. */
export const ENTRY_ROLES = ['gateway'];

export interface LauncherOptions {
  argv: string[];
  env: Record<string, string | undefined>;
  /** Roles in start order; stopped in reverse, except the entry roles, which stop last. */
  roles: RoleDefinition[];
  /** Names of the roles that stop last (default ENTRY_ROLES). */
  entryRoles?: string[];
  /** Where SIGINT/SIGTERM come from (the process, or an emitter in tests). */
  signals?: EventEmitter;
  exit?: (code: number) => void;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export interface ParsedArgs {
  command: 'start' | 'roles' | 'help';
  roles: string[] | undefined;
}

export function parseArgs(argv: string[], known: string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h')
    return { command: 'help', roles: undefined };
  if (command === 'roles') return { command: 'roles', roles: undefined };
  if (command !== 'start') throw new UsageError(`Unknown command "${command}"`);
  let roles: string[] | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    let value: string | undefined;
    if (arg === '--help' || arg === '-h') return { command: 'help', roles: undefined };
    if (arg.startsWith('--role=')) value = arg.slice('--role='.length);
    else if (arg === '--role') value = rest[++i];
    else throw new UsageError(`Unknown option "${arg}"`);
    if (!value) throw new UsageError('--role needs a role name');
    roles = [
      ...(roles ?? []),
      ...value
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    ];
  }
  for (const role of roles ?? []) {
    if (!known.includes(role))
      throw new UsageError(`Unknown role "${role}"; known roles: ${known.join(', ')}`);
  }
  return { command: 'start', roles };
}

export class UsageError extends Error {}

function usage(roles: RoleDefinition[]): string {
  return [
    'Usage: origo <command>',
    '',
    '  origo start                 run every role on this machine (embedded defaults)',
    '  origo start --role=<name>   run one role (or a comma-separated list), as Kubernetes does',
    '  origo roles                 list the roles',
    '',
    'Roles:',
    ...roles.map((r) => `  ${r.name.padEnd(14)}${r.description}`),
  ].join('\n');
}

/**
 * Runs the `origo` command. Returns once the roles are up (or the command finished); shutdown happens on
 * SIGINT/SIGTERM and ends with `exit`.
 */
export async function runLauncher(
  options: LauncherOptions,
): Promise<{ running: RunningRole[]; stop: () => Promise<number> } | undefined> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const known = options.roles.map((r) => r.name);

  let args: ParsedArgs;
  try {
    args = parseArgs(options.argv, known);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`origo: ${e.message}`);
    err(usage(options.roles));
    exit(2);
    return undefined;
  }
  if (args.command === 'help') {
    out(usage(options.roles));
    return undefined;
  }
  if (args.command === 'roles') {
    for (const role of options.roles) out(`${role.name}\t${role.description}`);
    return undefined;
  }

  let common;
  try {
    common = loadConfig(commonConfigSchema, options.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(e.message);
    exit(2);
    return undefined;
  }

  const selected = args.roles ? options.roles.filter((r) => args.roles?.includes(r.name)) : options.roles;
  const allInOne = args.roles === undefined;
  const logger = createLogger({ service: 'launcher', level: common.LOG_LEVEL });
  const tracing = startTracing({
    serviceName: allInOne ? 'origo' : `origo-${selected.map((r) => r.name).join('-')}`,
    otlpEndpoint: common.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const publicUrl = publicUrlOf(options.env, allInOne);
  const env = publicUrl === undefined ? options.env : { ...options.env, ORIGO_PUBLIC_URL: publicUrl };
  const ctx = {
    common: { ...common, ORIGO_DATA: resolve(common.ORIGO_DATA) },
    env,
    allInOne,
    addresses: new AddressBook(),
    secrets: new SecretStore(resolve(common.ORIGO_DATA), options.env),
    logger,
  };

  const running: RunningRole[] = [];
  let stopping: Promise<number> | undefined;

  const stop = (): Promise<number> => {
    stopping ??= shutdown(stopOrder(running, options.entryRoles ?? ENTRY_ROLES), logger).then(
      async (code) => {
        await tracing.shutdown().catch(() => undefined);
        logger.flush();
        return code;
      },
    );
    return stopping;
  };

  const signals = options.signals ?? process;
  let firstSignalAt = 0;
  const onSignal = (signal: string) => {
    if (stopping && Date.now() - firstSignalAt < REPEATED_SIGNAL_MS) {
      // Ctrl+C reaches every process of the terminal's group and npm forwards it once more: the same
      // request, delivered twice.
      logger.debug({ signal }, 'repeated signal ignored');
      return;
    }
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      logger.flush();
      exit(1);
      return;
    }
    firstSignalAt = Date.now();
    logger.info({ signal }, 'shutting down');
    void stop().then(exit);
  };
  signals.on('SIGINT', () => onSignal('SIGINT'));
  signals.on('SIGTERM', () => onSignal('SIGTERM'));

  for (const role of selected) {
    try {
      const started = await role.start(ctx);
      running.push(started);
      logger.info({ role: role.name, endpoints: started.endpoints }, 'role started');
    } catch (e) {
      const message =
        e instanceof ConfigError ? e.message : `role ${role.name} failed to start: ${(e as Error).message}`;
      logger.error({ err: e, role: role.name }, 'role failed to start');
      err(message);
      await stop();
      exit(1);
      return undefined;
    }
  }

  const entry = running.find((r) => r.endpoints['url'])?.endpoints['url'];
  const open = entry === undefined ? undefined : addressToOpen(entry, publicUrl);
  out('');
  out(`Origo is running (${running.map((r) => r.name).join(', ')}).`);
  for (const role of running) {
    // The entry's `url` is the address to open: listed as the one printed below, so no other is offered.
    for (const [name, address] of Object.entries(role.endpoints))
      out(
        `  ${role.name.padEnd(12)} ${name.padEnd(8)} ${name === 'url' && address === entry ? open : address}`,
      );
  }
  if (open !== undefined) {
    out('');
    out(`Open ${open} in your browser. Press Ctrl+C to stop.`);
    const links = publicUrl ?? SERVICES_PUBLIC_URL;
    if (originOf(open) !== originOf(links))
      out(`Links in the app point to ${links}: set ORIGO_PUBLIC_URL to the address you open.`);
  }
  return { running, stop };
}

/** ORIGO_PUBLIC_URL of every service when nobody sets it. */
const SERVICES_PUBLIC_URL = 'http://localhost:8080';

/**
 * The address people open must be the origin of every link the app hands out (invites, e-mails): a
 * session cookie set on 127.0.0.1 is not sent to localhost, so opening one and following links to the
 * other looks like being signed out. ORIGO_PUBLIC_URL when set; in one process otherwise
 * `http://localhost:<PORT>`, which the launcher hands to every role. Undefined for PORT=0 (the port is
 * not known before the gateway binds).
 */
export function publicUrlOf(env: Record<string, string | undefined>, allInOne: boolean): string | undefined {
  const explicit = env['ORIGO_PUBLIC_URL'];
  if (explicit) return explicit.replace(/\/+$/, '');
  if (!allInOne) return undefined;
  const port = env['PORT'] === undefined || env['PORT'] === '' ? 8080 : Number(env['PORT']);
  // A bad PORT is the gateway's to report, naming PORT.
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return `http://localhost:${port}`;
}

/**
 * What to print for the entry role's `url`: ORIGO_PUBLIC_URL, unless it is a localhost address on another
 * port than the entry listens on (PORT=0, a test role): then the entry's own address.
 */
export function addressToOpen(entry: string, publicUrl: string | undefined): string {
  if (publicUrl === undefined || originOf(publicUrl) === null) return entry;
  const wanted = new URL(publicUrl);
  if (wanted.hostname === 'localhost' && wanted.port !== new URL(entry).port) return entry;
  return publicUrl;
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * Reverse start order (a role stops before the roles it calls), with the entry roles moved to the end:
 * the gateway tunnels the clients' WebSockets, so it must outlive signaling until signaling has told
 * every client to reconnect and closed its sockets.
 */
export function stopOrder(running: RunningRole[], entryRoles: string[]): RunningRole[] {
  const reversed = [...running].reverse();
  return [
    ...reversed.filter((r) => !entryRoles.includes(r.name)),
    ...reversed.filter((r) => entryRoles.includes(r.name)),
  ];
}

/**
 * Drains every role first (readiness turns 503, no new work), then stops them in the given order, all
 * within SHUTDOWN_BUDGET_MS. Returns the exit code: 0 when everything closed in time.
 */
async function shutdown(ordered: RunningRole[], logger: Logger): Promise<number> {
  const deadline = Date.now() + SHUTDOWN_BUDGET_MS - 500;
  for (const role of ordered) {
    try {
      role.drain?.();
    } catch (e) {
      logger.warn({ err: e, role: role.name }, 'drain failed');
    }
  }
  let code = 0;
  for (const role of ordered) {
    const remaining = deadline - Date.now();
    const outcome = await Promise.race([
      role.stop().then(
        () => 'stopped' as const,
        (e: unknown) => {
          logger.error({ err: e, role: role.name }, 'role failed to stop cleanly');
          return 'failed' as const;
        },
      ),
      new Promise<'timeout'>((resolveTimeout) =>
        setTimeout(() => resolveTimeout('timeout'), Math.max(remaining, 0)).unref(),
      ),
    ]);
    if (outcome !== 'stopped') code = 1;
    if (outcome === 'timeout')
      logger.error({ role: role.name }, 'role did not stop within the shutdown budget');
    else logger.info({ role: role.name }, 'role stopped');
  }
  return code;
}
