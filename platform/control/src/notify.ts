// What control tells the notification service, written into control's relay table inside the same
// transaction as the change (so a rolled-back change sends nothing, and a notification service that is
// down delays mail but never loses it or fails the request). The relay hands rows over by gRPC with
// retries and backoff; after 24 h of failures a row is given up and logged, and the invitation keeps
// `sent_at` null, which the invitations list shows.
import { and, eq } from 'drizzle-orm';
import type { Logger } from '@origo/kit';
import { NotificationRelay, type RelayRow } from '@origo/notification-relay';
import type { Recipient } from '@origo/proto/notification-rpc';
import type { Registry } from 'prom-client';
import type { Actor, Db } from './audit.js';
import { invitations, type InvitationRow, type LobbyEntryRow, type MeetingRow } from './db/schema.js';

export interface NotifierOptions {
  db: Db;
  publicUrl: string;
  logger: Logger;
  /** The notification service's gRPC address; absent: rows wait in the relay table. */
  target?: (() => Promise<string>) | undefined;
  registry?: Registry;
  relay?: { retryBaseMs?: number; retryMaxMs?: number; intervalMs?: number };
}

const recipient = (r: Partial<Recipient>): Recipient => ({
  userId: '',
  email: '',
  phone: '',
  displayName: '',
  ...r,
});

export class MeetingNotifier {
  readonly relay: NotificationRelay;
  private sequence = 0;

  constructor(private readonly o: NotifierOptions) {
    this.relay = new NotificationRelay({
      service: 'control',
      db: o.db,
      target: o.target,
      logger: o.logger,
      ...(o.registry === undefined ? {} : { registry: o.registry }),
      ...o.relay,
      onRelayed: (row) => this.relayed(row),
    });
  }

  start(): void {
    this.relay.start();
  }

  /** After a transaction that called one of the methods below committed. */
  kick(): void {
    this.relay.kick();
  }

  stop(): Promise<void> {
    return this.relay.stop();
  }

  /** One invitation mail per issued link (a re-issued link gets a new mail with the new link). */
  async invited(
    tx: Db,
    meeting: MeetingRow,
    issued: Array<{ row: InvitationRow; token: string }>,
    actor: Actor,
  ): Promise<void> {
    for (const { row, token } of issued) {
      await this.relay.add(
        tx,
        {
          rpc: 'enqueue',
          request: {
            idempotencyKey: '',
            orgId: meeting.orgId,
            recipient: recipient({ email: row.email }),
            params: {
              $case: 'invitation',
              value: {
                meetingId: meeting.id,
                meetingTitle: meeting.title,
                inviterName: actor.name ?? '',
                startsAtMs: meeting.startsAt?.getTime() ?? 0,
                timeZone: meeting.timeZone,
                rrule: meeting.rrule ?? '',
                joinUrl: `${this.o.publicUrl}/join/${meeting.id}#invite=${token}`,
              },
            },
          },
        },
        actor.id,
        row.id,
      );
    }
    await this.scheduleChanged(tx, meeting, actor);
  }

  /** Someone waits in the lobby: tell the host (push and e-mail by the host's preferences). */
  async lobbyEntered(tx: Db, meeting: MeetingRow, entry: LobbyEntryRow, actor: Actor): Promise<void> {
    await this.relay.add(
      tx,
      {
        rpc: 'enqueue',
        request: {
          idempotencyKey: `control:lobby:${entry.id}`,
          orgId: meeting.orgId,
          recipient: recipient({ userId: meeting.hostId }),
          params: {
            $case: 'lobbyWaiting',
            value: {
              meetingId: meeting.id,
              meetingTitle: meeting.title,
              participantName: entry.displayName,
              meetingUrl: `${this.o.publicUrl}/join/${meeting.id}`,
            },
          },
        },
      },
      actor.id,
    );
  }

  /**
   * The meeting's schedule or its invitees changed: send the whole schedule (or its cancellation).
   * Versions grow with each call, so the notification service keeps the newest however rows arrive.
   */
  async scheduleChanged(tx: Db, meeting: MeetingRow, actor: Actor): Promise<void> {
    const version = Date.now() * 1000 + (this.sequence++ % 1000);
    if (meeting.state === 'cancelled' || meeting.state === 'ended' || meeting.startsAt === null) {
      if (meeting.kind !== 'scheduled') return;
      await this.relay.add(
        tx,
        { rpc: 'cancelReminderSchedule', request: { meetingId: meeting.id, version } },
        actor.id,
      );
      return;
    }
    const invited = await tx
      .select({ email: invitations.email })
      .from(invitations)
      .where(and(eq(invitations.meetingId, meeting.id), eq(invitations.status, 'pending')));
    const host = recipient({
      userId: meeting.hostId,
      ...(actor.id === meeting.hostId && actor.email !== undefined ? { email: actor.email } : {}),
      ...(actor.id === meeting.hostId && actor.name !== undefined ? { displayName: actor.name } : {}),
    });
    await this.relay.add(
      tx,
      {
        rpc: 'setReminderSchedule',
        request: {
          schedule: {
            meetingId: meeting.id,
            orgId: meeting.orgId,
            meetingTitle: meeting.title,
            startsAtMs: meeting.startsAt.getTime(),
            durationMinutes: meeting.durationMinutes,
            timeZone: meeting.timeZone,
            rrule: meeting.rrule ?? '',
            joinUrl: `${this.o.publicUrl}/join/${meeting.id}`,
            recipients: [host, ...invited.map((i) => recipient({ email: i.email }))],
            version,
            minutesBefore: 0,
          },
        },
      },
      actor.id,
    );
  }

  private async relayed(row: RelayRow): Promise<void> {
    if (row.rpc !== 'enqueue' || row.ref === null) return;
    const now = new Date();
    await this.o.db
      .update(invitations)
      .set({ sentAt: now, updatedAt: now, updatedBy: 'service:control' })
      .where(eq(invitations.id, row.ref as InvitationRow['id']));
  }
}
