// Which recorders are alive: each writes its id to the shared kv every few seconds with a short TTL. A
// recorder whose key has been missing for a while (its pod scaled down or rescheduled under a new name, so
// it never comes back to finish its own recordings) is dead, and another recorder takes its unfinished
// recordings over (the claim itself is a conditional update in the database: see RecordingStore.claim).
import type { Kv } from '@origo/kit/bus';

export interface HeartbeatOptions {
  /** How often a recorder writes its key. Default 10 s. */
  intervalMs?: number;
  /** How long the key outlives its last write. Default three intervals. */
  ttlMs?: number;
  /**
   * How long a recorder's key must have been missing, as this recorder saw it, before that recorder counts
   * as dead. Default the TTL: a kv that lost its keys (a Redis restart) is written again well before then.
   */
  staleAfterMs?: number;
}

export const heartbeatKey = (recorderId: string): string => `recording:recorder:${recorderId}`;

export class RecorderHeartbeats {
  readonly intervalMs: number;
  private readonly ttlMs: number;
  private readonly staleAfterMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** When this recorder first found each other recorder's key missing. */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly kv: Kv,
    private readonly recorderId: string,
    o: HeartbeatOptions = {},
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.intervalMs = o.intervalMs ?? 10_000;
    this.ttlMs = o.ttlMs ?? this.intervalMs * 3;
    this.staleAfterMs = o.staleAfterMs ?? this.ttlMs;
  }

  /** Writes this recorder's key now. */
  async beat(): Promise<void> {
    await this.kv.set(heartbeatKey(this.recorderId), String(Date.now()), { ttlMs: this.ttlMs });
  }

  /** Writes the key now and every interval until stop(). */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(this.onError), this.intervalMs);
    this.timer.unref();
  }

  /** Stops writing and removes the key (a recorder that stops cleanly has finished its recordings). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.kv.del(heartbeatKey(this.recorderId)).catch(this.onError);
  }

  /**
   * Whether `recorderId` is dead: its key has been missing since at least `staleAfterMs` ago, as seen by
   * the calls of this method (the first call that finds it missing starts the count).
   */
  async isDead(recorderId: string, now = Date.now()): Promise<boolean> {
    if (recorderId === this.recorderId) return false;
    if ((await this.kv.get(heartbeatKey(recorderId))) !== null) {
      this.missingSince.delete(recorderId);
      return false;
    }
    const since = this.missingSince.get(recorderId);
    if (since === undefined) {
      this.missingSince.set(recorderId, now);
      return false;
    }
    return now - since >= this.staleAfterMs;
  }
}
