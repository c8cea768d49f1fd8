// Accepting notifications: one transaction stores the notification under its idempotency key,
// decides channels and addresses from the recipient's preferences, renders the templates once, and
// writes one outbox row (delivery) per channel and address. The worker sends them later.
import { eq } from 'drizzle-orm';
import { AppError } from '@origo/kit';
import { created, writeAudit, type Actor, type Db } from './audit.js';
import { deliveries, notifications, type DeliveryRow } from './db/schema.js';
import { newDeliveryId, newNotificationId } from './ids.js';
import { KIND_POLICY, type Channel } from './kinds.js';
import type { PreferenceStore } from './preferences.js';
import { render, type Content, type Rendered } from './templates/render.js';
import { signUnsubscribe } from './unsubscribe.js';

export interface RecipientInput {
  userId: string;
  email: string;
  phone: string;
  displayName: string;
}

export interface EnqueueInput {
  idempotencyKey: string;
  recipient: RecipientInput;
  orgId: string;
  content: Content;
}

export interface EnqueueResult {
  notificationId: string;
  duplicate: boolean;
  channels: Channel[];
}

export interface OutboxOptions {
  preferences: PreferenceStore;
  now: () => Date;
  publicUrl: string;
  unsubscribeSecret: string;
  maxAttempts: number;
  /** Channels that have a transport (SMS only with a provider configured). */
  available: ReadonlySet<Channel>;
}

type DeliveryDraft = Pick<DeliveryRow, 'channel' | 'address' | 'subject' | 'bodyText' | 'bodyHtml' | 'extra'>;

export class Outbox {
  constructor(private readonly o: OutboxOptions) {}

  /**
   * Enqueues inside `tx` (the caller's transaction), so it commits with whatever caused it. The caller
   * kicks the worker after its commit.
   */
  async enqueue(tx: Db, input: EnqueueInput, actor: Actor): Promise<EnqueueResult> {
    const now = this.o.now();
    const { recipient, content } = input;
    const id = newNotificationId();
    const [stored] = await tx
      .insert(notifications)
      .values({
        id,
        idempotencyKey: input.idempotencyKey,
        kind: content.kind,
        orgId: input.orgId === '' ? null : input.orgId,
        userId: recipient.userId === '' ? null : recipient.userId,
        recipient: { ...recipient },
        params: { ...content.params },
        ...created(actor, now),
      })
      .onConflictDoNothing({ target: notifications.idempotencyKey })
      .returning({ id: notifications.id });
    if (stored === undefined) return this.existing(tx, input.idempotencyKey);

    const prefs = this.o.preferences;
    if (recipient.userId !== '' && (recipient.email !== '' || recipient.displayName !== '')) {
      await prefs.upsertContact(
        tx,
        recipient.userId,
        {
          ...(recipient.email === '' ? {} : { email: recipient.email }),
          ...(recipient.displayName === '' ? {} : { displayName: recipient.displayName }),
        },
        actor,
      );
    }
    const contact = recipient.userId === '' ? undefined : await prefs.contact(tx, recipient.userId);
    const wanted: Channel[] =
      recipient.userId === ''
        ? KIND_POLICY[content.kind].mandatory || recipient.email !== ''
          ? ['email']
          : ['sms']
        : await prefs.channelsFor(tx, recipient.userId, content.kind);
    const email = recipient.email !== '' ? recipient.email : (contact?.email ?? '');
    const phone = recipient.phone !== '' ? recipient.phone : (contact?.phone ?? '');
    const name = recipient.displayName !== '' ? recipient.displayName : (contact?.displayName ?? '');
    const mandatory = KIND_POLICY[content.kind].mandatory;
    const unsubscribeToken = mandatory
      ? null
      : signUnsubscribe(
          this.o.unsubscribeSecret,
          recipient.userId !== ''
            ? { kind: content.kind, userId: recipient.userId }
            : { kind: content.kind, email },
        );
    const rendered = render(content, {
      recipientName: name,
      unsubscribeUrl:
        // The page link carries the token in the fragment, which browsers never send to a server.
        unsubscribeToken === null ? null : `${this.o.publicUrl}/unsubscribe#token=${unsubscribeToken}`,
    });

    const drafts: DeliveryDraft[] = [];
    for (const channel of wanted) {
      if (!this.o.available.has(channel)) continue;
      if (channel === 'email' && email !== '') {
        if (!mandatory && recipient.userId === '' && (await prefs.isSuppressed(tx, email, content.kind)))
          continue;
        drafts.push(this.emailDraft(email, rendered, unsubscribeToken));
      }
      if (channel === 'sms' && phone !== '') {
        drafts.push({
          channel: 'sms',
          address: phone,
          subject: rendered.subject,
          bodyText: rendered.sms,
          bodyHtml: null,
          extra: {},
        });
      }
      if (channel === 'push' && recipient.userId !== '') {
        for (const sub of await prefs.pushSubscriptionsOf(tx, recipient.userId)) {
          drafts.push({
            channel: 'push',
            address: sub.id,
            subject: rendered.push.title,
            bodyText: rendered.push.body,
            bodyHtml: null,
            extra: { push: { ...rendered.push, tag: `${content.kind}:${id}` } },
          });
        }
      }
    }
    if (drafts.length > 0) {
      await tx.insert(deliveries).values(
        drafts.map((d) => ({
          id: newDeliveryId(),
          notificationId: id,
          ...d,
          maxAttempts: this.o.maxAttempts,
          nextAttemptAt: now,
          ...created(actor, now),
        })),
      );
    }
    const channels = [...new Set(drafts.map((d) => d.channel))];
    // Parameters may hold one-time links; the audit log records what was sent where, not the links.
    await writeAudit(tx, actor, {
      action: 'notification.enqueue',
      entity: 'notification',
      entityId: id,
      orgId: input.orgId === '' ? null : input.orgId,
      after: { kind: content.kind, userId: recipient.userId || null, channels, key: input.idempotencyKey },
    });
    return { notificationId: id, duplicate: false, channels };
  }

  private emailDraft(email: string, rendered: Rendered, unsubscribeToken: string | null): DeliveryDraft {
    const headers: Record<string, string> = {};
    if (unsubscribeToken !== null) {
      // RFC 8058 section 3.1: an HTTPS URI in List-Unsubscribe plus this exact List-Unsubscribe-Post
      // value; the mail client POSTs "List-Unsubscribe=One-Click" to the URI without cookies.
      headers['List-Unsubscribe'] =
        `<${this.o.publicUrl}/api/notifications/unsubscribe?token=${unsubscribeToken}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    return {
      channel: 'email',
      address: email,
      subject: rendered.subject,
      bodyText: rendered.text,
      bodyHtml: rendered.html,
      extra: { headers },
    };
  }

  private async existing(tx: Db, key: string): Promise<EnqueueResult> {
    const [row] = await tx
      .select({ id: notifications.id })
      .from(notifications)
      .where(eq(notifications.idempotencyKey, key));
    if (row === undefined) throw AppError.internal('idempotency key conflict without a stored row');
    const sent = await tx
      .select({ channel: deliveries.channel })
      .from(deliveries)
      .where(eq(deliveries.notificationId, row.id));
    return { notificationId: row.id, duplicate: true, channels: [...new Set(sent.map((d) => d.channel))] };
  }
}
