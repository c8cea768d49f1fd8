import { EventEmitter } from 'node:events';

/** Event map: event name to listener argument tuple. */
export type EventMap = { [event: string]: unknown[] };

type Listener<A extends unknown[]> = (...args: A) => void;

/** Where listener exceptions go; replaceable so the worker can route them to its logger. */
export let reportListenerError: (event: string, error: unknown) => void = (event, error) => {
  process.emitWarning(`media listener for "${event}" threw: ${String(error)}`, 'MediaListenerError');
};

export function setListenerErrorReporter(fn: (event: string, error: unknown) => void): void {
  reportListenerError = fn;
}

/**
 * EventEmitter with a typed event map whose emit never throws: a listener's exception is caught
 * and reported, so user code can never stop the media loop (mediasoup's safeEmit).
 */
export class SafeEmitter<E extends EventMap> {
  readonly #ee = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#ee.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#ee.listenerCount(event);
  }

  protected removeAllListeners(): void {
    this.#ee.removeAllListeners();
  }

  /** Emits to every listener; each listener's exception is caught on its own. */
  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    const listeners = this.#ee.rawListeners(event);
    for (const l of listeners) {
      try {
        (l as (...a: unknown[]) => void).apply(this, args);
      } catch (error) {
        try {
          reportListenerError(event, error);
        } catch {
          // The reporter itself must not break the emit loop either.
        }
      }
    }
  }
}
