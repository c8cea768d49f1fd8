// Meetings domain: every mutation runs in one transaction with its audit row.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { AppError, cursorPart, decodeCursor as decodeKey, encodeCursor as encodeKey } from '@origo/kit';
import { addToOutbox } from '@origo/kit/outbox';
import { UsageEvent } from '@origo/proto/billing-rpc';
import { created, isUniqueViolation, updated, writeAudit, type Actor, type Db } from './audit.js';
import {
  invitations,
  lobbyEntries,
  meetings,
  roomEvents,
  type InvitationRow,
  type LobbyEntryRow,
  type MeetingRow,
  type MeetingState,
} from './db/schema.js';
import {
  newInvitationId,
  newLobbyEntryId,
  newMeetingId,
  newSecret,
  type InvitationId,
  type LobbyEntryId,
  type MeetingId,
  type OrgId,
} from './ids.js';
import { hasOccurrenceAfter, parseRule } from './recurrence.js';
import { INSTANT_UPCOMING_MS } from './instant-title.js';
import type { MeetingNotifier } from './notify.js';
import { BILLING_OUTBOX_TOPIC } from './contracts.js';
import { hashPasscode, hashSecret } from './secrets.js';

export interface MeetingInput {
  orgId: OrgId;
  hostId: string;
  title: string;
  description?: string | undefined;
  kind: 'instant' | 'scheduled';
  startsAt: Date | null;
  durationMinutes: number;
  timeZone: string;
  rrule: string | null;
  passcode: string | null;
  lobbyEnabled: boolean;
  joinBeforeHost: boolean;
  participantCap: number;
}

export interface MeetingPatch {
  title?: string | undefined;
  description?: string | undefined;
  startsAt?: Date | undefined;
  durationMinutes?: number | undefined;
  timeZone?: string | undefined;
  rrule?: string | null | undefined;
  passcode?: string | null | undefined;
  lobbyEnabled?: boolean | undefined;
  joinBeforeHost?: boolean | undefined;
  participantCap?: number | undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

function encodeCursor(row: { createdAt: Date; id: string }): string {
  return encodeKey([row.createdAt.toISOString(), row.id]);
}

const MEETING_CURSOR = z.tuple([cursorPart.timestamp, cursorPart.text]);

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [createdAt, id] = decodeKey(cursor, MEETING_CURSOR);
  return { createdAt, id };
}

/** A closed meeting takes no changes; the reason tells clients which. */
export function assertOpen(meeting: MeetingRow): void {
  if (meeting.state === 'cancelled')
    throw AppError.precondition('The meeting was cancelled', 'meeting_cancelled');
  if (meeting.state === 'ended') throw AppError.precondition('The meeting has ended', 'meeting_ended');
}

/** Where a meeting goes when its room closes: back to scheduled while occurrences remain. */
/** What signaling reports about a room (ControlService.ReportRoomEvent). */
export type RoomEventKind =
  'room_started' | 'room_ended' | 'participant_joined' | 'participant_left' | 'egress';

function stateAfterRoom(meeting: MeetingRow, now: Date): MeetingState {
  if (meeting.rrule !== null && meeting.startsAt !== null) {
    const next = hasOccurrenceAfter(
      {
        startsAt: meeting.startsAt,
        durationMinutes: meeting.durationMinutes,
        timeZone: meeting.timeZone,
        rrule: meeting.rrule,
      },
      now,
    );
    if (next) return 'scheduled';
  }
  return 'ended';
}

/**
 * The meetings the dashboard lists as upcoming at `now`: live ones and scheduled ones, but not an instant
 * meeting nobody started within INSTANT_UPCOMING_MS of its creation.
 */
function listedAsUpcoming(now: Date) {
  return or(
    eq(meetings.state, 'live'),
    and(
      eq(meetings.state, 'scheduled'),
      or(
        eq(meetings.kind, 'scheduled'),
        gt(meetings.createdAt, new Date(now.getTime() - INSTANT_UPCOMING_MS)),
      ),
    ),
  );
}

/** Advisory lock key (two int4 halves) serialising the choice of instant titles within one organization. */
function instantTitleLock(orgId: OrgId): [number, number] {
  const digest = createHash('sha256').update(`origo:control:instant-title:${orgId}`).digest();
  return [digest.readInt32BE(0), digest.readInt32BE(4)];
}

export class MeetingStore {
  /**
   * `notifier` queues invitation mails, reminder schedules and lobby alerts in the same transactions;
   * with `meterUsage` room events also go into the outbox for billing (off when no billing is configured,
   * so rows nobody takes do not pile up).
   */
  constructor(
    private readonly db: Db,
    private readonly notifier?: MeetingNotifier,
    private readonly meterUsage = false,
  ) {}

  /** Wakes the notification relay after a transaction the caller owned (create, invite) committed. */
  notifyCommitted(): void {
    this.notifier?.kick();
  }

  async get(id: MeetingId): Promise<MeetingRow | null> {
    const [row] = await this.db.select().from(meetings).where(eq(meetings.id, id)).limit(1);
    return row ?? null;
  }

  /**
   * `title` (an instant meeting's default title, e.g. "Instant meeting, 2 Dec, 14:05") if no meeting of
   * the organization listed as upcoming at `now` has it, else the first free of "title (2)", "title (3)",
   * ...: two instant meetings started in the same minute would otherwise show as identical cards.
   *
   * Call inside the transaction that inserts the meeting: a transaction-scoped advisory lock per
   * organization makes concurrent creates take turns from here to their commit, and each reads the
   * titles committed before it (read committed), so two of them cannot pick the same title.
   */
  async distinctInstantTitle(tx: Db, orgId: OrgId, title: string, now: Date): Promise<string> {
    const [high, low] = instantTitleLock(orgId);
    await tx.execute(sql`select pg_advisory_xact_lock(${high}::int, ${low}::int)`);
    const prefix = `${title} (`;
    const rows = await tx
      .select({ title: meetings.title })
      .from(meetings)
      .where(
        and(
          eq(meetings.orgId, orgId),
          or(eq(meetings.title, title), sql`starts_with(${meetings.title}, ${prefix})`),
          listedAsUpcoming(now),
        ),
      );
    const taken = new Set(rows.map((r) => r.title));
    if (!taken.has(title)) return title;
    let n = 2;
    while (taken.has(`${title} (${n})`)) n += 1;
    return `${title} (${n})`;
  }

  async create(tx: Db, input: MeetingInput, actor: Actor): Promise<MeetingRow> {
    const now = new Date();
    const rrule = input.rrule === null ? null : parseRule(input.rrule).text;
    const [row] = await tx
      .insert(meetings)
      .values({
        id: newMeetingId(),
        orgId: input.orgId,
        title: input.title,
        description: input.description ?? '',
        kind: input.kind,
        state: 'scheduled',
        hostId: input.hostId,
        startsAt: input.startsAt,
        durationMinutes: input.durationMinutes,
        timeZone: input.timeZone,
        rrule,
        passcodeHash: input.passcode === null ? null : await hashPasscode(input.passcode),
        lobbyEnabled: input.lobbyEnabled,
        joinBeforeHost: input.joinBeforeHost,
        participantCap: input.participantCap,
        ...created(actor, now),
      })
      .returning();
    if (row === undefined) throw AppError.internal('insert returned no row');
    await writeAudit(tx, actor, {
      action: 'meeting.create',
      entity: 'meeting',
      entityId: row.id,
      orgId: row.orgId,
      after: row,
    });
    if (row.kind === 'scheduled') await this.notifier?.scheduleChanged(tx, row, actor);
    return row;
  }

  /** Newest first; the cursor is opaque to callers and stable under concurrent inserts. */
  async list(
    orgId: OrgId,
    opts: {
      limit: number;
      cursor?: string | undefined;
      state?: MeetingState | undefined;
      /**
       * Set to now: only meetings that can still be joined as upcoming, live ones and scheduled ones, but
       * not an instant meeting nobody started within INSTANT_UPCOMING_MS of its creation.
       */
      upcoming?: Date | undefined;
    },
  ): Promise<Page<MeetingRow>> {
    const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor);
    const rows = await this.db
      .select()
      .from(meetings)
      .where(
        and(
          eq(meetings.orgId, orgId),
          opts.state === undefined ? undefined : eq(meetings.state, opts.state),
          opts.upcoming === undefined ? undefined : listedAsUpcoming(opts.upcoming),
          after === undefined
            ? undefined
            : or(
                lt(meetings.createdAt, after.createdAt),
                and(eq(meetings.createdAt, after.createdAt), lt(meetings.id, after.id as MeetingId)),
              ),
        ),
      )
      .orderBy(desc(meetings.createdAt), desc(meetings.id))
      .limit(opts.limit + 1);
    const items = rows.slice(0, opts.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > opts.limit && last !== undefined ? encodeCursor(last) : null };
  }

  /** Applies `change` to the locked row and audits it; `change` may throw to abort with nothing written. */
  async mutate(
    id: MeetingId,
    actor: Actor,
    action: string,
    change: (
      before: MeetingRow,
      tx: Db,
    ) => Promise<Partial<typeof meetings.$inferInsert>> | Partial<typeof meetings.$inferInsert>,
    db: Db = this.db,
    afterChange?: (after: MeetingRow, tx: Db) => Promise<void>,
  ): Promise<MeetingRow> {
    return db.transaction(async (tx) => {
      const [before] = await tx.select().from(meetings).where(eq(meetings.id, id)).for('update');
      if (before === undefined) throw AppError.notFound('Meeting');
      const set = await change(before, tx);
      const [after] = await tx
        .update(meetings)
        .set({ ...set, ...updated(actor, new Date()) })
        .where(eq(meetings.id, id))
        .returning();
      if (after === undefined) throw AppError.internal('update returned no row');
      await writeAudit(tx, actor, {
        action,
        entity: 'meeting',
        entityId: id,
        orgId: before.orgId,
        before,
        after,
      });
      await afterChange?.(after, tx);
      return after;
    });
  }

  private readonly scheduleHook = async (after: MeetingRow, tx: Db, actor: Actor): Promise<void> => {
    if (after.kind === 'scheduled') await this.notifier?.scheduleChanged(tx, after, actor);
  };

  async update(id: MeetingId, patch: MeetingPatch, actor: Actor): Promise<MeetingRow> {
    const passcodeHash =
      patch.passcode === undefined
        ? undefined
        : patch.passcode === null
          ? null
          : await hashPasscode(patch.passcode);
    const row = await this.mutate(
      id,
      actor,
      'meeting.update',
      (before) => {
        assertOpen(before);
        const set: Partial<typeof meetings.$inferInsert> = {};
        if (patch.title !== undefined) set.title = patch.title;
        if (patch.description !== undefined) set.description = patch.description;
        if (patch.durationMinutes !== undefined) set.durationMinutes = patch.durationMinutes;
        if (patch.timeZone !== undefined) set.timeZone = patch.timeZone;
        if (patch.lobbyEnabled !== undefined) set.lobbyEnabled = patch.lobbyEnabled;
        if (patch.joinBeforeHost !== undefined) set.joinBeforeHost = patch.joinBeforeHost;
        if (patch.participantCap !== undefined) set.participantCap = patch.participantCap;
        if (passcodeHash !== undefined) set.passcodeHash = passcodeHash;
        if (patch.startsAt !== undefined) {
          if (before.kind === 'instant') {
            throw AppError.invalid('Invalid request body', [
              { field: 'starts_at', message: 'an instant meeting has no start time' },
            ]);
          }
          set.startsAt = patch.startsAt;
        }
        if (patch.rrule !== undefined) {
          if (patch.rrule !== null && before.kind === 'instant') {
            throw AppError.invalid('Invalid request body', [
              { field: 'recurrence', message: 'an instant meeting cannot recur' },
            ]);
          }
          set.rrule = patch.rrule === null ? null : parseRule(patch.rrule).text;
        }
        return set;
      },
      this.db,
      (after, tx) => this.scheduleHook(after, tx, actor),
    );
    this.notifier?.kick();
    return row;
  }

  async cancel(id: MeetingId, actor: Actor): Promise<{ meeting: MeetingRow; wasLive: boolean }> {
    let wasLive = false;
    const meeting = await this.mutate(
      id,
      actor,
      'meeting.cancel',
      (before) => {
        assertOpen(before);
        wasLive = before.state === 'live';
        return { state: 'cancelled', cancelledAt: new Date(), locked: false };
      },
      this.db,
      (after, tx) => this.scheduleHook(after, tx, actor),
    );
    this.notifier?.kick();
    return { meeting, wasLive };
  }

  async setLock(id: MeetingId, locked: boolean, actor: Actor): Promise<MeetingRow> {
    return this.mutate(id, actor, locked ? 'meeting.lock' : 'meeting.unlock', (before) => {
      assertOpen(before);
      return { locked };
    });
  }

  /** A host ended the meeting for everyone: no new join tokens from now on. */
  async endForAll(id: MeetingId, actor: Actor): Promise<MeetingRow> {
    return this.mutate(id, actor, 'meeting.end', (before) => {
      assertOpen(before);
      const now = new Date();
      return { state: stateAfterRoom(before, now), endedAt: now, locked: false, participantCount: 0 };
    });
  }

  /** Records a host control sent to signaling (mute) as an audit row on the meeting. */
  async recordCommand(meeting: MeetingRow, action: string, detail: object, actor: Actor): Promise<void> {
    await this.db.transaction(async (tx) => {
      await writeAudit(tx, actor, {
        action,
        entity: 'meeting',
        entityId: meeting.id,
        orgId: meeting.orgId,
        after: detail,
      });
    });
  }

  // Invitations ----------------------------------------------------------------------------------

  /**
   * Invites addresses to a meeting. Re-inviting an address issues a new link token (the old one stops
   * working) and reactivates a revoked invitation.
   */
  async invite(
    tx: Db,
    meeting: MeetingRow,
    emails: string[],
    actor: Actor,
  ): Promise<Array<{ row: InvitationRow; token: string }>> {
    assertOpen(meeting);
    const out: Array<{ row: InvitationRow; token: string }> = [];
    const unique = [...new Set(emails.map((e) => e.trim().toLowerCase()))];
    for (const email of unique) {
      const token = newSecret();
      const now = new Date();
      const [existing] = await tx
        .select()
        .from(invitations)
        .where(and(eq(invitations.meetingId, meeting.id), eq(invitations.email, email)))
        .for('update');
      if (existing === undefined) {
        const [row] = await tx
          .insert(invitations)
          .values({
            id: newInvitationId(),
            meetingId: meeting.id,
            orgId: meeting.orgId,
            email,
            tokenHash: hashSecret(token),
            ...created(actor, now),
          })
          .returning();
        if (row === undefined) throw AppError.internal('insert returned no row');
        await writeAudit(tx, actor, {
          action: 'invitation.create',
          entity: 'invitation',
          entityId: row.id,
          orgId: row.orgId,
          after: row,
        });
        out.push({ row, token });
      } else {
        const [row] = await tx
          .update(invitations)
          .set({ tokenHash: hashSecret(token), status: 'pending', ...updated(actor, now) })
          .where(eq(invitations.id, existing.id))
          .returning();
        if (row === undefined) throw AppError.internal('update returned no row');
        await writeAudit(tx, actor, {
          action: 'invitation.reissue',
          entity: 'invitation',
          entityId: row.id,
          orgId: row.orgId,
          before: existing,
          after: row,
        });
        out.push({ row, token });
      }
    }
    await this.notifier?.invited(tx, meeting, out, actor);
    return out;
  }

  async listInvitations(meetingId: MeetingId): Promise<InvitationRow[]> {
    return this.db
      .select()
      .from(invitations)
      .where(eq(invitations.meetingId, meetingId))
      .orderBy(asc(invitations.createdAt), asc(invitations.id));
  }

  async revokeInvitation(meeting: MeetingRow, id: InvitationId, actor: Actor): Promise<InvitationRow> {
    const revoked = await this.db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(invitations)
        .where(and(eq(invitations.id, id), eq(invitations.meetingId, meeting.id)))
        .for('update');
      if (before === undefined) throw AppError.notFound('Invitation');
      const [after] = await tx
        .update(invitations)
        .set({ status: 'revoked', ...updated(actor, new Date()) })
        .where(eq(invitations.id, id))
        .returning();
      if (after === undefined) throw AppError.internal('update returned no row');
      await writeAudit(tx, actor, {
        action: 'invitation.revoke',
        entity: 'invitation',
        entityId: id,
        orgId: before.orgId,
        before,
        after,
      });
      if (meeting.kind === 'scheduled') await this.notifier?.scheduleChanged(tx, meeting, actor);
      return after;
    });
    this.notifier?.kick();
    return revoked;
  }

  /** The pending invitation a join credential (link token or verified e-mail) matches, if any. */
  async findInvitation(
    meetingId: MeetingId,
    by: { token?: string | undefined; email?: string | undefined },
  ): Promise<InvitationRow | null> {
    if (by.token !== undefined) {
      const [row] = await this.db
        .select()
        .from(invitations)
        .where(
          and(
            eq(invitations.meetingId, meetingId),
            eq(invitations.tokenHash, hashSecret(by.token)),
            eq(invitations.status, 'pending'),
          ),
        )
        .limit(1);
      if (row !== undefined) return row;
    }
    if (by.email !== undefined && by.email !== '') {
      const [row] = await this.db
        .select()
        .from(invitations)
        .where(
          and(
            eq(invitations.meetingId, meetingId),
            eq(invitations.email, by.email.toLowerCase()),
            eq(invitations.status, 'pending'),
          ),
        )
        .limit(1);
      if (row !== undefined) return row;
    }
    return null;
  }

  /** Whether the token is an e-mail invitation's to this meeting that a host revoked. */
  async isRevokedInvitation(meetingId: MeetingId, token: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: invitations.id })
      .from(invitations)
      .where(
        and(
          eq(invitations.meetingId, meetingId),
          eq(invitations.tokenHash, hashSecret(token)),
          eq(invitations.status, 'revoked'),
        ),
      )
      .limit(1);
    return row !== undefined;
  }

  // Lobby ------------------------------------------------------------------------------------------

  async enterLobby(
    meeting: MeetingRow,
    who: { identity: string; displayName: string },
    ttlMs: number,
    actor: Actor,
  ): Promise<{ entry: LobbyEntryRow; ticket: string }> {
    const ticket = newSecret();
    const result = await this.db.transaction(async (tx) => {
      const now = new Date();
      const [entry] = await tx
        .insert(lobbyEntries)
        .values({
          id: newLobbyEntryId(),
          meetingId: meeting.id,
          orgId: meeting.orgId,
          ticketHash: hashSecret(ticket),
          identity: who.identity,
          displayName: who.displayName,
          expiresAt: new Date(now.getTime() + ttlMs),
          ...created(actor, now),
        })
        .returning();
      if (entry === undefined) throw AppError.internal('insert returned no row');
      await writeAudit(tx, actor, {
        action: 'lobby_entry.create',
        entity: 'lobby_entry',
        entityId: entry.id,
        orgId: entry.orgId,
        after: entry,
      });
      await this.notifier?.lobbyEntered(tx, meeting, entry, actor);
      return { entry, ticket };
    });
    this.notifier?.kick();
    return result;
  }

  async lobbyByTicket(meetingId: MeetingId, ticket: string): Promise<LobbyEntryRow | null> {
    const [row] = await this.db
      .select()
      .from(lobbyEntries)
      .where(and(eq(lobbyEntries.meetingId, meetingId), eq(lobbyEntries.ticketHash, hashSecret(ticket))))
      .limit(1);
    if (row === undefined || row.expiresAt.getTime() <= Date.now()) return null;
    return row;
  }

  async waitingLobby(meetingId: MeetingId): Promise<LobbyEntryRow[]> {
    return this.db
      .select()
      .from(lobbyEntries)
      .where(
        and(
          eq(lobbyEntries.meetingId, meetingId),
          eq(lobbyEntries.status, 'waiting'),
          gt(lobbyEntries.expiresAt, new Date()),
        ),
      )
      .orderBy(asc(lobbyEntries.createdAt), asc(lobbyEntries.id));
  }

  async decideLobby(
    meeting: MeetingRow,
    id: LobbyEntryId,
    decision: 'admitted' | 'denied',
    actor: Actor,
  ): Promise<LobbyEntryRow> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(lobbyEntries)
        .where(and(eq(lobbyEntries.id, id), eq(lobbyEntries.meetingId, meeting.id)))
        .for('update');
      if (before === undefined || before.expiresAt.getTime() <= Date.now())
        throw AppError.notFound('Lobby entry');
      if (before.status !== 'waiting')
        throw AppError.precondition(`The lobby entry was already ${before.status}`, 'lobby_already_decided');
      const now = new Date();
      const [after] = await tx
        .update(lobbyEntries)
        .set({ status: decision, decidedBy: actor.id, decidedAt: now, ...updated(actor, now) })
        .where(eq(lobbyEntries.id, id))
        .returning();
      if (after === undefined) throw AppError.internal('update returned no row');
      await writeAudit(tx, actor, {
        action: decision === 'admitted' ? 'lobby_entry.admit' : 'lobby_entry.deny',
        entity: 'lobby_entry',
        entityId: id,
        orgId: before.orgId,
        before,
        after,
      });
      return after;
    });
  }

  // Room events from signaling ------------------------------------------------------------------

  /**
   * Applies one room event. Idempotent by `eventId`: the event row and the meeting change commit
   * together, so a retry after a lost reply finds the event and changes nothing. With `meterUsage` a new
   * event also goes into the outbox for billing's metering in the same transaction (`metered`), whether
   * or not it changed the meeting.
   */
  async applyRoomEvent(
    event: {
      eventId: string;
      meetingId: MeetingId;
      roomSid: string;
      type: RoomEventKind;
      /** The participant (join token `sub`); empty for room events. */
      identity: string;
      /** The participant's display name from their join token; empty for room events and old reporters. */
      name?: string;
      occurredAt: Date;
      participantCount: number;
      reason: string;
      /** `egress`: the bytes the room instance's router has sent since it was created. */
      bytesSent?: number;
    },
    actor: Actor,
  ): Promise<{ applied: boolean; state: MeetingState; orgId: string; metered: boolean }> {
    return this.db.transaction(async (tx) => {
      const [meeting] = await tx
        .select()
        .from(meetings)
        .where(eq(meetings.id, event.meetingId))
        .for('update');
      if (meeting === undefined) throw AppError.notFound('Meeting');
      const inserted = await tx
        .insert(roomEvents)
        .values({
          eventId: event.eventId,
          meetingId: event.meetingId,
          type: event.type,
          occurredAt: event.occurredAt,
        })
        .onConflictDoNothing()
        .returning({ eventId: roomEvents.eventId });
      if (inserted.length === 0)
        return { applied: false, state: meeting.state, orgId: meeting.orgId, metered: false };
      if (this.meterUsage)
        await addToOutbox(
          tx,
          BILLING_OUTBOX_TOPIC,
          UsageEvent.toJSON(
            UsageEvent.fromPartial({
              eventId: event.eventId,
              type: event.type,
              orgId: meeting.orgId,
              meetingId: meeting.id,
              roomSid: event.roomSid,
              identity: event.identity,
              occurredAtMs: event.occurredAt.getTime(),
              participantCount: event.participantCount,
              bytes: event.type === 'egress' ? (event.bytesSent ?? 0) : 0,
            }),
          ) as Record<string, unknown>,
        );

      // An egress reading is for metering only: it changes nothing about the meeting.
      if (event.type === 'egress')
        return { applied: true, state: meeting.state, orgId: meeting.orgId, metered: this.meterUsage };
      let set: Partial<typeof meetings.$inferInsert> | null = null;
      const sameRoom = meeting.roomSid === null || event.roomSid === '' || meeting.roomSid === event.roomSid;
      switch (event.type) {
        case 'room_started':
          if (meeting.state === 'scheduled' || (meeting.state === 'live' && !sameRoom)) {
            set = {
              state: 'live',
              roomSid: event.roomSid || null,
              startedAt: event.occurredAt,
              endedAt: null,
              participantCount: event.participantCount,
            };
          }
          break;
        case 'room_ended':
          if (meeting.state === 'live' && sameRoom) {
            set = {
              state: stateAfterRoom(meeting, new Date()),
              endedAt: event.occurredAt,
              participantCount: 0,
              locked: false,
            };
          } else if (sameRoom && meeting.participantCount !== 0) {
            set = { participantCount: 0 };
          }
          break;
        case 'participant_joined':
        case 'participant_left':
          if (meeting.state === 'live' && sameRoom && meeting.participantCount !== event.participantCount) {
            set = { participantCount: event.participantCount };
          }
          break;
      }
      const metered = this.meterUsage;
      // Every join and leave is audited once (the event id keeps retries out), by the person, with their
      // name as it was when they joined: a guest has no account to look it up in later.
      const participantEvent = event.type === 'participant_joined' || event.type === 'participant_left';
      if (participantEvent)
        await writeAudit(
          tx,
          { id: event.identity === '' ? actor.id : event.identity, requestId: actor.requestId },
          {
            action: `meeting.${event.type}`,
            entity: 'meeting',
            entityId: meeting.id,
            orgId: meeting.orgId,
            after: {
              participantIdentity: event.identity,
              participantName: event.name ?? '',
              participantCount: event.participantCount,
              ...(event.reason === '' ? {} : { reason: event.reason }),
              reportedBy: actor.id,
            },
          },
        );
      if (set === null) return { applied: false, state: meeting.state, orgId: meeting.orgId, metered };
      const [after] = await tx
        .update(meetings)
        .set({ ...set, ...updated(actor, new Date()) })
        .where(eq(meetings.id, meeting.id))
        .returning();
      if (after === undefined) throw AppError.internal('update returned no row');
      if (!participantEvent)
        await writeAudit(tx, actor, {
          action: `meeting.${event.type}`,
          entity: 'meeting',
          entityId: meeting.id,
          orgId: meeting.orgId,
          before: meeting,
          after,
        });
      return { applied: true, state: after.state, orgId: meeting.orgId, metered };
    });
  }

  /** Counts for tests and metrics. */
  async countRoomEvents(meetingId: MeetingId): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(roomEvents)
      .where(eq(roomEvents.meetingId, meetingId));
    return row?.n ?? 0;
  }
}

export { isUniqueViolation };
