// A room as this node sees it: where its router lives and the sessions joined through this node.
import type { Unsubscribe } from '@origo/kit/bus';
import type { SignalResponse, TimeLimitWarning } from '@origo/proto/signal';
import type { SfuClient } from './sfu.js';
import type { Session } from './session.js';
import type { Placement } from './store.js';

export class LocalRoom {
  readonly sessions = new Map<string, Session>();
  unsubscribe: Unsubscribe | undefined;
  emptyTimer: NodeJS.Timeout | undefined;
  /** When the last session here left (set while the empty room's grace runs). */
  emptiedAtMs: number | undefined;
  closed = false;
  /** The length-cap warning this node has relayed, for participants who join after it. */
  timeLimit: TimeLimitWarning | undefined;

  constructor(
    readonly name: string,
    readonly placement: Placement,
    /** The SFU worker holding this room's router. */
    readonly sfu: SfuClient,
  ) {}

  /** Sessions here other than `sid`. */
  others(sid: string): Session[] {
    return [...this.sessions.values()].filter((s) => s.sid !== sid);
  }

  /** Sends to every session here, except `exceptSid`. */
  broadcast(message: SignalResponse, exceptSid = ''): void {
    for (const s of this.sessions.values()) if (s.sid !== exceptSid) s.send(message);
  }
}
