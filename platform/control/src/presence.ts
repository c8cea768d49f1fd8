// Presence of signed-in users: online (a dashboard open), in a meeting, or away (the page hidden for a
// while). Each source of it writes its own entry into the kit's kv (memory on one machine, Redis with
// REDIS_URL): signaling one per meeting session of a user (`meeting:<participant sid>`), control one per
// dashboard (`web:<session>`). An entry carries its own expiry and the user's key a TTL, and writers
// refresh both while the session they stand for lives, so what a crashed node wrote expires by itself.
// Guests have no presence. Control reads it for the members of an organization (presence-routes.ts).
//
// Kept free of heavy imports (zod and kv types) so signaling can import `@origo/control/presence`.
import { z } from 'zod';
import type { Kv } from '@origo/kit/bus';

export type PresenceState = 'online' | 'in_meeting' | 'away';

/** How long an entry lives unless refreshed; writers refresh at a third of it. */
export const PRESENCE_TTL_MS = 60_000;

/** Join token identities of signed-in users are their user ids (`usr_...`); guests (`gst_...`) have none. */
export function isUserIdentity(identity: string): boolean {
  return /^usr_[A-Za-z0-9_-]{1,64}$/.test(identity);
}

const userKey = (userId: string): string => `presence:user:${userId}`;

const entrySchema = z.object({
  state: z.enum(['online', 'in_meeting', 'away']),
  meeting_id: z.string().min(1).max(128).optional(),
  /** When this state began, ms since the epoch. */
  since_ms: z.number().int(),
  /** When this entry stops counting unless refreshed, ms since the epoch. */
  until_ms: z.number().int(),
});
type Entry = z.infer<typeof entrySchema>;

/** What one source says: a meeting session (with its meeting) or a dashboard (without). */
export interface PresenceWrite {
  state: PresenceState;
  meetingId?: string | undefined;
}

/** A user's presence, all sources taken together. */
export interface UserPresence {
  state: PresenceState;
  /** Meetings the user is in now (any state but online). */
  meetingIds: string[];
  /** When the current state began. */
  since: number;
}

export class PresenceStore {
  constructor(
    private readonly kv: Kv,
    private readonly ttlMs: number = PRESENCE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes (or refreshes) one source's entry for another `ttlMs`; `since` moves only with the state. */
  async put(userId: string, source: string, write: PresenceWrite): Promise<void> {
    const key = userKey(userId);
    const now = this.now();
    const before = parseEntry((await this.kv.hgetall(key))[source]);
    const kept = before !== undefined && before.until_ms > now && before.state === write.state;
    const entry: Entry = {
      state: write.state,
      ...(write.meetingId === undefined ? {} : { meeting_id: write.meetingId }),
      since_ms: kept ? before.since_ms : now,
      until_ms: now + this.ttlMs,
    };
    await this.kv.hset(key, { [source]: JSON.stringify(entry) });
    // The key outlives its longest entry; a writer with a shorter TTL never cuts another one's short.
    const left = await this.kv.ttl(key);
    if (left === null || left < this.ttlMs) await this.kv.expire(key, this.ttlMs);
  }

  /** The source ended (left the meeting, closed the dashboard). */
  async remove(userId: string, source: string): Promise<void> {
    await this.kv.hdel(userKey(userId), source);
  }

  /** Presence of each of `userIds` that has any; entries past their expiry are dropped on the way. */
  async read(userIds: readonly string[]): Promise<Map<string, UserPresence>> {
    const now = this.now();
    const found = new Map<string, UserPresence>();
    await Promise.all(
      userIds.map(async (userId) => {
        const fields = await this.kv.hgetall(userKey(userId));
        const live: Entry[] = [];
        const stale: string[] = [];
        for (const [source, raw] of Object.entries(fields)) {
          const entry = parseEntry(raw);
          if (entry !== undefined && entry.until_ms > now) live.push(entry);
          else stale.push(source);
        }
        if (stale.length > 0) await this.kv.hdel(userKey(userId), ...stale);
        const presence = combine(live);
        if (presence !== undefined) found.set(userId, presence);
      }),
    );
    return found;
  }
}

function parseEntry(raw: string | undefined): Entry | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed = entrySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One state for all of a user's sources: in a meeting when any meeting session is not away; away when
 * every meeting session is (or, outside meetings, every dashboard); online with a dashboard showing.
 */
function combine(entries: readonly Entry[]): UserPresence | undefined {
  const meetings = entries.filter((e) => e.meeting_id !== undefined);
  const counted = meetings.length > 0 ? meetings : entries;
  if (counted.length === 0) return undefined;
  const active = counted.filter((e) => e.state !== 'away');
  return {
    state: active.length === 0 ? 'away' : meetings.length > 0 ? 'in_meeting' : 'online',
    meetingIds: [...new Set(meetings.flatMap((e) => (e.meeting_id === undefined ? [] : [e.meeting_id])))],
    since: Math.min(...(active.length > 0 ? active : counted).map((e) => e.since_ms)),
  };
}
