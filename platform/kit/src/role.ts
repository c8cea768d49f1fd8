import type { z } from 'zod';
import type { AddressName } from './addresses.js';
import { commonConfigSchema, ConfigError, loadConfig, type CommonConfig } from './config.js';
import { AppError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import type { SecretStore } from './secrets.js';

/**
 * In-process service discovery for single-machine mode: roles publish the addresses they bound (often
 * port 0) and others wait for them. In distributed mode the same names come from environment variables.
 */
export class AddressBook {
  private readonly entries = new Map<AddressName, string>();
  private readonly waiters = new Map<AddressName, Array<(address: string) => void>>();

  set(name: AddressName, address: string): void {
    this.entries.set(name, address);
    const waiting = this.waiters.get(name) ?? [];
    this.waiters.delete(name);
    for (const resolve of waiting) resolve(address);
  }

  get(name: AddressName): string | undefined {
    return this.entries.get(name);
  }

  all(): Record<string, string> {
    return Object.fromEntries(this.entries);
  }

  wait(name: AddressName, timeoutMs = 30_000): Promise<string> {
    const known = this.entries.get(name);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        // UNAVAILABLE with the reason, not a bare Error (which callers would report as an internal error):
        // the usual cause is a role that does not run in this process.
        () =>
          reject(
            AppError.unavailable(
              `No address for ${name} after ${timeoutMs} ms: the role that serves it is not running in this process`,
            ),
          ),
        timeoutMs,
      );
      timer.unref();
      const list = this.waiters.get(name) ?? [];
      list.push((address) => {
        clearTimeout(timer);
        resolve(address);
      });
      this.waiters.set(name, list);
    });
  }
}

export interface RoleContext {
  common: CommonConfig;
  env: Record<string, string | undefined>;
  /** True when every role runs in this process (`origo start` without `--role`). */
  allInOne: boolean;
  addresses: AddressBook;
  secrets: SecretStore;
  /** The launcher's own logger, for start-up messages; roles create their own service loggers. */
  logger: Logger;
}

export interface RunningRole {
  name: string;
  /** Listeners this role opened, e.g. `{ http: 'http://127.0.0.1:8080', grpc: '127.0.0.1:9090' }`. */
  endpoints: Record<string, string>;
  /** Step 1 of shutdown: stop taking new work and report not-ready. */
  drain?(): void;
  /** Step 2: finish work in flight and release everything. Must be idempotent. */
  stop(): Promise<void>;
}

export interface RoleDefinition {
  name: string;
  description: string;
  start(ctx: RoleContext): Promise<RunningRole>;
}

/** What every role sets up first: its own validated configuration, a logger and metrics under its name. */
export interface RoleBasics<C> {
  config: C;
  common: CommonConfig;
  logger: Logger;
  metrics: ServiceMetrics;
}

export function roleBasics<S extends z.ZodObject>(
  ctx: RoleContext,
  service: string,
  schema: S,
): RoleBasics<z.infer<S>> {
  const config = loadConfig(schema, ctx.env);
  const common = loadConfig(commonConfigSchema, ctx.env);
  return {
    config,
    common,
    logger: createLogger({ service, level: common.LOG_LEVEL }),
    metrics: createMetrics(service),
  };
}

/**
 * Where another service answers: the URL configured in `variable`, or, when every role runs in this
 * process, the address that role publishes. Checked when the role starts: a separate process without the
 * variable fails then, naming it, not at its first call.
 */
export function serviceUrl(
  ctx: RoleContext,
  variable: string,
  configured: string | undefined,
  address: AddressName,
): () => Promise<string> {
  if (configured !== undefined) return () => Promise.resolve(configured);
  if (!ctx.allInOne) throw new ConfigError(variable, 'is required but not set');
  return () => ctx.addresses.wait(address);
}

/**
 * Where an optional service answers: the configured address, the role in this process, or undefined when
 * a separate process has none (the caller then works without it and says so).
 */
export function optionalServiceUrl(
  ctx: RoleContext,
  configured: string | undefined,
  address: AddressName,
): (() => Promise<string>) | undefined {
  if (configured !== undefined) return () => Promise.resolve(configured);
  return ctx.allInOne ? () => ctx.addresses.wait(address) : undefined;
}
