// Per-user choices (channels per kind, phone number), where users are reached (contacts), browsers'
// push subscriptions, and unsubscribes. Every change writes its audit row in the same transaction.
import { and, eq, sql } from 'drizzle-orm';
import { AppError } from '@origo/kit';
import { created, updated, writeAudit, type Actor, type Db } from './audit.js';
import {
  contacts,
  preferences,
  pushSubscriptions,
  suppressions,
  type ContactRow,
  type PushSubscriptionRow,
} from './db/schema.js';
import { newPushSubscriptionId } from './ids.js';
import { KIND_POLICY, KINDS, type Channel, type Kind } from './kinds.js';
import type { UnsubscribeTarget } from './unsubscribe.js';

export interface PreferenceView {
  kinds: Record<Kind, Channel[]>;
  phone: string | null;
  email: string | null;
  pushSubscriptions: number;
}

export class PreferenceStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  async view(userId: string): Promise<PreferenceView> {
    const rows = await this.db.select().from(preferences).where(eq(preferences.userId, userId));
    const chosen = new Map(rows.map((r) => [r.kind, r.channels as Channel[]]));
    const kinds = {} as Record<Kind, Channel[]>;
    for (const kind of KINDS) {
      kinds[kind] = KIND_POLICY[kind].mandatory
        ? [...KIND_POLICY[kind].defaults]
        : (chosen.get(kind) ?? [...KIND_POLICY[kind].defaults]);
    }
    const contact = await this.contact(this.db, userId);
    const [subs] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(pushSubscriptions)
      .where(eq(pushSubscriptions.userId, userId));
    return {
      kinds,
      phone: contact?.phone ?? null,
      email: contact?.email ?? null,
      pushSubscriptions: subs?.n ?? 0,
    };
  }

  /** Channels a user's notification of `kind` goes out on. */
  async channelsFor(tx: Db, userId: string, kind: Kind): Promise<Channel[]> {
    const policy = KIND_POLICY[kind];
    if (policy.mandatory) return [...policy.defaults];
    const [row] = await tx
      .select()
      .from(preferences)
      .where(and(eq(preferences.userId, userId), eq(preferences.kind, kind)));
    return row === undefined ? [...policy.defaults] : (row.channels as Channel[]);
  }

  async update(
    userId: string,
    patch: { kinds?: Partial<Record<Kind, Channel[]>> | undefined; phone?: string | null | undefined },
    actor: Actor,
  ): Promise<PreferenceView> {
    await this.db.transaction(async (tx) => {
      for (const [kind, channels] of Object.entries(patch.kinds ?? {}) as Array<[Kind, Channel[]]>) {
        if (KIND_POLICY[kind].mandatory) {
          throw AppError.invalid('Account mails cannot be turned off', [
            { field: `kinds.${kind}`, message: 'is always sent by e-mail' },
          ]);
        }
        await this.setChannels(tx, userId, kind, [...new Set(channels)], actor);
      }
      if (patch.phone !== undefined) await this.upsertContact(tx, userId, { phone: patch.phone }, actor);
    });
    return this.view(userId);
  }

  async contact(tx: Db, userId: string): Promise<ContactRow | undefined> {
    const [row] = await tx.select().from(contacts).where(eq(contacts.userId, userId));
    return row;
  }

  /** Records where a user is reached; unchanged values write nothing. */
  async upsertContact(
    tx: Db,
    userId: string,
    values: {
      email?: string | undefined;
      phone?: string | null | undefined;
      displayName?: string | undefined;
    },
    actor: Actor,
  ): Promise<void> {
    const before = await this.contact(tx, userId);
    const next = {
      email: values.email ?? before?.email ?? null,
      phone: values.phone === undefined ? (before?.phone ?? null) : values.phone,
      displayName: values.displayName ?? before?.displayName ?? null,
    };
    if (
      before !== undefined &&
      before.email === next.email &&
      before.phone === next.phone &&
      before.displayName === next.displayName
    )
      return;
    const now = this.now();
    const [after] = await tx
      .insert(contacts)
      .values({ userId, ...next, ...created(actor, now) })
      .onConflictDoUpdate({ target: contacts.userId, set: { ...next, ...updated(actor, now) } })
      .returning();
    await writeAudit(tx, actor, {
      action: before === undefined ? 'contact.create' : 'contact.update',
      entity: 'contact',
      entityId: userId,
      before: before ?? null,
      after: after ?? null,
    });
  }

  async addPushSubscription(
    userId: string,
    sub: { endpoint: string; p256dh: string; auth: string; userAgent?: string | undefined },
    actor: Actor,
  ): Promise<PushSubscriptionRow> {
    return this.db.transaction(async (tx) => {
      const now = this.now();
      const [existing] = await tx
        .select()
        .from(pushSubscriptions)
        .where(eq(pushSubscriptions.endpoint, sub.endpoint))
        .for('update');
      const values = {
        userId,
        endpoint: sub.endpoint,
        p256dh: sub.p256dh,
        auth: sub.auth,
        userAgent: sub.userAgent?.slice(0, 300) ?? null,
      };
      // A browser re-subscribing (new keys, or another user signing in on it) takes the endpoint over.
      const [row] =
        existing === undefined
          ? await tx
              .insert(pushSubscriptions)
              .values({ id: newPushSubscriptionId(), ...values, ...created(actor, now) })
              .returning()
          : await tx
              .update(pushSubscriptions)
              .set({ ...values, ...updated(actor, now) })
              .where(eq(pushSubscriptions.id, existing.id))
              .returning();
      if (row === undefined) throw AppError.internal('push subscription write returned no row');
      await writeAudit(tx, actor, {
        action: existing === undefined ? 'push_subscription.create' : 'push_subscription.update',
        entity: 'push_subscription',
        entityId: row.id,
        before: existing === undefined ? null : { userId: existing.userId },
        after: { userId: row.userId, userAgent: row.userAgent },
      });
      return row;
    });
  }

  /** Removes the user's subscription for `endpoint`; true when there was one. */
  async removePushSubscription(userId: string, endpoint: string, actor: Actor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .delete(pushSubscriptions)
        .where(and(eq(pushSubscriptions.userId, userId), eq(pushSubscriptions.endpoint, endpoint)))
        .returning();
      if (row === undefined) return false;
      await writeAudit(tx, actor, {
        action: 'push_subscription.delete',
        entity: 'push_subscription',
        entityId: row.id,
        before: { userId: row.userId, userAgent: row.userAgent },
      });
      return true;
    });
  }

  async forgetPushSubscription(id: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx.delete(pushSubscriptions).where(eq(pushSubscriptions.id, id)).returning();
      if (row !== undefined)
        await writeAudit(tx, actor, {
          action: 'push_subscription.expire',
          entity: 'push_subscription',
          entityId: id,
          before: { userId: row.userId },
        });
    });
  }

  async pushSubscription(id: string): Promise<PushSubscriptionRow | null> {
    const [row] = await this.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.id, id));
    return row ?? null;
  }

  async pushSubscriptionsOf(tx: Db, userId: string): Promise<PushSubscriptionRow[]> {
    return tx.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId));
  }

  async isSuppressed(tx: Db, address: string, kind: Kind): Promise<boolean> {
    const [row] = await tx
      .select({ kind: suppressions.kind })
      .from(suppressions)
      .where(and(eq(suppressions.address, address.toLowerCase()), eq(suppressions.kind, kind)));
    return row !== undefined;
  }

  /** RFC 8058 one-click: stops e-mail of the token's kind for its user or address. */
  async unsubscribe(target: UnsubscribeTarget, actor: Actor): Promise<void> {
    if (KIND_POLICY[target.kind].mandatory) return;
    await this.db.transaction(async (tx) => {
      if (target.userId !== undefined) {
        const current = await this.channelsFor(tx, target.userId, target.kind);
        await this.setChannels(
          tx,
          target.userId,
          target.kind,
          current.filter((c) => c !== 'email'),
          actor,
        );
        return;
      }
      if (target.email === undefined) return;
      const now = this.now();
      const [row] = await tx
        .insert(suppressions)
        .values({ address: target.email.toLowerCase(), kind: target.kind, ...created(actor, now) })
        .onConflictDoNothing()
        .returning();
      if (row !== undefined)
        await writeAudit(tx, actor, {
          action: 'suppression.create',
          entity: 'suppression',
          entityId: `${target.kind}:${row.address}`,
          after: row,
        });
    });
  }

  private async setChannels(tx: Db, userId: string, kind: Kind, channels: Channel[], actor: Actor) {
    const now = this.now();
    const [before] = await tx
      .select()
      .from(preferences)
      .where(and(eq(preferences.userId, userId), eq(preferences.kind, kind)));
    const [after] = await tx
      .insert(preferences)
      .values({ userId, kind, channels, ...created(actor, now) })
      .onConflictDoUpdate({
        target: [preferences.userId, preferences.kind],
        set: { channels, ...updated(actor, now) },
      })
      .returning();
    await writeAudit(tx, actor, {
      action: 'preference.update',
      entity: 'preference',
      entityId: `${userId}:${kind}`,
      before: before ?? null,
      after: after ?? null,
    });
  }
}
