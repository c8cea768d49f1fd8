import type { BusLogger, MessageHandler } from './types.js';

export const DEFAULT_NAMESPACE = 'origo:';

export const fallbackLogger: BusLogger = {
  warn: (obj, msg) => console.error(msg ?? 'bus warning', obj),
  error: (obj, msg) => console.error(msg ?? 'bus error', obj),
};

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function checkName(what: 'key' | 'channel' | 'prefix' | 'field', value: unknown): string {
  if (typeof value !== 'string' || (what !== 'prefix' && value === '')) {
    throw new TypeError(
      `${what} must be a non-empty string, got ${typeof value === 'string' ? '""' : typeof value}`,
    );
  }
  return value;
}

export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new TypeError(`ttlMs must be a positive integer, got ${String(ttlMs)}`);
  }
  return ttlMs;
}

export function checkValue(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`value must be a string, got ${typeof value}`);
  return value;
}

/** JSON text of a message; rejects what JSON cannot carry so the publisher learns at once. */
export function encodeMessage(message: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch (err) {
    throw new TypeError(`message is not JSON-serialisable: ${errorText(err)}`, { cause: err });
  }
  if (text === undefined) throw new TypeError(`message is not JSON-serialisable: ${typeof message}`);
  return text;
}

/** Calls a handler so that neither a throw nor a rejection escapes to the caller. */
export function deliver(handler: MessageHandler, channel: string, message: unknown, logger: BusLogger): void {
  const report = (err: unknown): void => logger.error({ channel, err: errorText(err) }, 'bus handler failed');
  try {
    const result = handler(message);
    if (result instanceof Promise) result.catch(report);
  } catch (err) {
    report(err);
  }
}

export function checkNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || namespace === '') {
    throw new TypeError('createBusKv: namespace must be a non-empty string');
  }
  return namespace;
}
