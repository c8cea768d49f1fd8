// Wakes long-polling lobby requests when a meeting's lobby changes. The change goes over the kit bus
// so a decision taken on one control replica wakes waiters on every replica; the waiters then re-read
// the database, which stays the only source of truth (a lost message costs at most one poll period).
import type { Bus, BusLogger, Unsubscribe } from '@origo/kit/bus';
import type { MeetingId } from './ids.js';

/** Bus channel of lobby changes: `{ meeting_id }`. Internal to control. */
export const LOBBY_CHANGED_CHANNEL = 'control.lobby-changed';

/** Why a wait ended. */
export type WakeReason = 'changed' | 'timeout' | 'closed';

export interface LobbyEvents {
  /**
   * A promise that settles at the next change of the meeting's lobby, after `timeoutMs`, or when the
   * service closes, whichever is first. Take it before reading the state it guards, or a change that
   * lands between the read and the wait is missed.
   */
  next(meetingId: MeetingId, timeoutMs: number): { settled: Promise<WakeReason>; cancel(): void };
  /**
   * Tells every replica that the meeting's lobby (or the meeting itself) changed. Never throws: the
   * change is already committed, and a lost wake-up only delays waiters to the end of their hold.
   */
  changed(meetingId: MeetingId): Promise<void>;
  /** True once closed: held requests answer with what they have instead of waiting again. */
  readonly closed: boolean;
  close(): Promise<void>;
}

export async function createLobbyEvents(bus: Bus, logger?: BusLogger): Promise<LobbyEvents> {
  const waiters = new Map<string, Set<(reason: WakeReason) => void>>();
  let closed = false;

  const wake = (meetingId: string, reason: WakeReason): void => {
    const set = waiters.get(meetingId);
    if (set === undefined) return;
    waiters.delete(meetingId);
    for (const resolve of set) resolve(reason);
  };

  const unsubscribe: Unsubscribe = await bus.subscribe(LOBBY_CHANGED_CHANNEL, (message) => {
    const id = (message as { meeting_id?: unknown } | null)?.meeting_id;
    if (typeof id === 'string') wake(id, 'changed');
  });

  return {
    next(meetingId, timeoutMs) {
      let resolve!: (reason: WakeReason) => void;
      const settled = new Promise<WakeReason>((r) => {
        resolve = r;
      });
      if (closed) {
        resolve('closed');
        return { settled, cancel: () => undefined };
      }
      let set = waiters.get(meetingId);
      if (set === undefined) {
        set = new Set();
        waiters.set(meetingId, set);
      }
      const entry = (reason: WakeReason): void => {
        clearTimeout(timer);
        resolve(reason);
      };
      set.add(entry);
      const drop = (reason: WakeReason): void => {
        const current = waiters.get(meetingId);
        current?.delete(entry);
        if (current?.size === 0) waiters.delete(meetingId);
        entry(reason);
      };
      const timer = setTimeout(() => drop('timeout'), Math.max(0, timeoutMs));
      const cancel = (): void => drop('timeout');
      return { settled, cancel };
    },
    async changed(meetingId) {
      try {
        await bus.publish(LOBBY_CHANGED_CHANNEL, { meeting_id: meetingId });
      } catch (err) {
        logger?.warn({ err, meeting_id: meetingId }, 'could not announce a lobby change');
      }
    },
    get closed() {
      return closed;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const id of [...waiters.keys()]) wake(id, 'closed');
      await unsubscribe();
    },
  };
}
