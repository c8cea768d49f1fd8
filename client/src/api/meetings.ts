// Routes of platform/control (src/http/routes.ts; snake_case on the wire).
import { qs } from './auth.js';
import { api } from './http.js';

export type MeetingState = 'scheduled' | 'live' | 'ended' | 'cancelled';

export interface Meeting {
  id: string;
  org_id: string;
  title: string;
  description: string;
  kind: 'instant' | 'scheduled';
  state: MeetingState;
  host_id: string;
  starts_at: string | null;
  duration_minutes: number;
  time_zone: string;
  recurrence: { rrule: string } | null;
  has_passcode: boolean;
  lobby_enabled: boolean;
  join_before_host: boolean;
  participant_cap: number;
  locked: boolean;
  participant_count: number;
  started_at: string | null;
  ended_at: string | null;
  cancelled_at: string | null;
  join_url: string;
  created_at: string;
}

export interface CreateMeeting {
  org_id?: string;
  /** Required for a scheduled meeting; control titles an instant meeting without one by its creation time. */
  title?: string;
  /** The creator's language (BCP 47), for that title. */
  locale?: string;
  description?: string;
  kind?: 'instant' | 'scheduled';
  starts_at?: string;
  duration_minutes?: number;
  time_zone?: string;
  recurrence?: { rrule: string } | null;
  passcode?: string | null;
  lobby_enabled?: boolean;
  join_before_host?: boolean;
}

export interface JoinReady {
  status: 'ready';
  token: string;
  expires_at: string;
  signaling_url: string;
  room: string;
  identity: string;
  name: string;
  grants: { publish: boolean; subscribe: boolean; host: boolean };
  meeting: { id: string; title: string };
  /** For hosts: whether the plan lets them record now, and if not why; null when unknown. */
  recording?: { allowed: boolean; reason: string } | null;
}

export interface JoinWaiting {
  status: 'waiting';
  lobby_ticket: string;
  lobby_entry_id: string;
  poll_interval_ms: number;
  meeting: { id: string; title: string };
}

export interface LobbyEntry {
  id: string;
  identity: string;
  display_name: string;
  status: 'waiting' | 'admitted' | 'denied';
  created_at: string;
}

/** Someone a host removed; they cannot join until a host allows them back. */
export interface RemovedParticipant {
  identity: string;
  display_name: string;
  removed_at: string;
  removed_by: string;
}

export interface InviteLink {
  id: string;
  meeting_id: string;
  status: 'active' | 'revoked' | 'expired';
  expires_at: string;
  created_at: string;
  created_by: string;
}

export interface IssuedInviteLink extends InviteLink {
  invite_token: string;
  invite_url: string;
}

/** What the join page may show before joining. */
export interface MeetingPreview {
  id: string;
  /** Null unless the caller is a member or holds a valid invitation. */
  title: string | null;
  state: MeetingState;
  has_passcode: boolean;
  lobby_enabled: boolean;
  /** `expired`: a link of this meeting that expired or was revoked; `invalid`: no invitation (mangled). */
  invitation: 'valid' | 'expired' | 'invalid' | 'none';
  access: 'member' | 'invited' | 'passcode' | 'sign_in';
}

export type LobbyWaitAnswer = JoinReady | { status: 'waiting'; meeting: { id: string; title: string } };

export interface MeetingAuditEvent {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  org_id: string;
  before: unknown;
  after: unknown;
  request_id: string | null;
}

const m = (id: string): string => `/api/meetings/${encodeURIComponent(id)}`;

export const meetingsApi = {
  list: (orgId: string | undefined, state?: MeetingState, cursor?: string) =>
    api<{ items: Meeting[]; next_cursor: string | null }>(
      'GET',
      `/api/meetings${qs({ org_id: orgId, state, cursor, limit: 50 })}`,
    ),
  /**
   * Meetings that can still be joined as upcoming: live and scheduled ones, without instant meetings
   * nobody started within an hour of their creation (control decides).
   */
  upcoming: (orgId: string | undefined) =>
    api<{ items: Meeting[]; next_cursor: string | null }>(
      'GET',
      `/api/meetings${qs({ org_id: orgId, upcoming: 'true', limit: 100 })}`,
    ),
  get: (id: string) => api<Meeting>('GET', m(id)),
  create: (body: CreateMeeting) =>
    api<Meeting>('POST', '/api/meetings', body, { 'idempotency-key': crypto.randomUUID() }),
  cancel: (id: string) => api<Meeting>('POST', `${m(id)}/cancel`),
  occurrences: (id: string) =>
    api<{ time_zone: string; items: { starts_at: string; ends_at: string }[] }>(
      'GET',
      `${m(id)}/occurrences?count=3`,
    ),
  join: (
    id: string,
    body: { name?: string; passcode?: string; invite_token?: string; device_key?: string },
  ) => api<JoinReady | JoinWaiting>('POST', `${m(id)}/join`, body),
  pollLobby: (id: string, ticket: string) =>
    api<JoinReady | { status: 'waiting'; poll_interval_ms: number }>(
      'GET',
      `${m(id)}/lobby/${encodeURIComponent(ticket)}`,
    ),
  lobby: (id: string) => api<LobbyEntry[]>('GET', `${m(id)}/lobby`),
  /** Held by the server until the lobby differs from `version` (or `waitSeconds` pass). */
  watchLobby: (id: string, version: string | undefined, waitSeconds: number, signal?: AbortSignal) =>
    api<{ version: string; entries: LobbyEntry[] }>(
      'GET',
      `${m(id)}/lobby-watch${qs({ version, wait_seconds: waitSeconds })}`,
      undefined,
      {},
      signal,
    ),
  /** Held by the server until a host decides (or `waitSeconds` pass); the ticket stays out of the URL. */
  waitInLobby: (id: string, ticket: string, waitSeconds: number, signal?: AbortSignal) =>
    api<LobbyWaitAnswer>('POST', `${m(id)}/lobby/wait`, { ticket, wait_seconds: waitSeconds }, {}, signal),
  preview: (id: string, inviteToken: string | undefined) =>
    api<MeetingPreview>('POST', `${m(id)}/preview`, inviteToken ? { invite_token: inviteToken } : {}),
  createInviteLink: (id: string) => api<IssuedInviteLink>('POST', `${m(id)}/invite-links`, {}),
  inviteLinks: (id: string) => api<InviteLink[]>('GET', `${m(id)}/invite-links`),
  revokeInviteLink: (id: string, linkId: string) =>
    api<InviteLink>('DELETE', `${m(id)}/invite-links/${encodeURIComponent(linkId)}`),
  admit: (id: string, entryId: string) =>
    api<LobbyEntry>('POST', `${m(id)}/lobby/${encodeURIComponent(entryId)}/admit`),
  deny: (id: string, entryId: string) =>
    api<LobbyEntry>('POST', `${m(id)}/lobby/${encodeURIComponent(entryId)}/deny`),
  mute: (id: string, identity: string) =>
    api<unknown>('POST', `${m(id)}/participants/${encodeURIComponent(identity)}/mute`, {}),
  remove: (id: string, identity: string, displayName: string) =>
    api<unknown>('POST', `${m(id)}/participants/${encodeURIComponent(identity)}/remove`, {
      display_name: displayName,
    }),
  allowBack: (id: string, identity: string) =>
    api<unknown>('POST', `${m(id)}/participants/${encodeURIComponent(identity)}/allow`),
  removed: (id: string) => api<RemovedParticipant[]>('GET', `${m(id)}/removals`),
  lock: (id: string, locked: boolean) => api<Meeting>('POST', `${m(id)}/lock`, { locked }),
  end: (id: string) => api<Meeting>('POST', `${m(id)}/end`),
  /** `filter`: actor, action (a prefix), target (sent as entity_id), from, to (ISO instants). */
  audit: (orgId: string | undefined, filter: Record<string, string> = {}, cursor?: string) => {
    const { target, ...rest } = filter;
    return api<{ items: MeetingAuditEvent[]; next_cursor: string | null }>(
      'GET',
      `/api/audit${qs({ org_id: orgId, ...rest, entity_id: target, cursor, limit: 50 })}`,
    );
  },
};

/** The signaling WebSocket URL: the join reply's, made absolute against this page. */
export function wsUrlFrom(signalingUrl: string): string {
  const u = new URL(signalingUrl || '/ws', location.href);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  return u.href;
}
