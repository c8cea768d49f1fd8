// Routes of platform/notification (src/http/routes.ts).
import { api } from './http.js';
import { qs, type Page } from './auth.js';

export type Channel = 'email' | 'push' | 'sms';

export interface KindPreference {
  kind: string;
  label: string;
  mandatory: boolean;
  channels: Channel[];
}

export interface Preferences {
  kinds: KindPreference[];
  availableChannels: Channel[];
  phone: string | null;
  email: string | null;
  pushSubscriptions: number;
  vapidPublicKey: string;
}

export interface OutboxItem {
  id: string;
  channel: Channel;
  to: string;
  subject: string;
  body: string;
  status: 'pending' | 'sending' | 'delivered' | 'failed';
  /** Delivered to this outbox only: no mail server is set, so nothing left the machine. */
  keptLocally: boolean;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export const notificationsApi = {
  preferences: () => api<Preferences>('GET', '/api/notifications/preferences'),
  save: (body: { kinds?: Record<string, Channel[]>; phone?: string | null }) =>
    api<Preferences>('PUT', '/api/notifications/preferences', body),
  subscribePush: (subscription: PushSubscriptionJSON) =>
    api<{ id: string }>('POST', '/api/notifications/push-subscriptions', {
      endpoint: subscription.endpoint,
      keys: subscription.keys,
    }),
  unsubscribePush: (endpoint: string) =>
    api<void>('POST', '/api/notifications/push-subscriptions/remove', { endpoint }),
  describeUnsubscribe: (token: string) =>
    api<{ kind: string; label: string }>('GET', `/api/notifications/unsubscribe${qs({ token })}`),
  unsubscribe: (token: string) =>
    api<{ unsubscribed: boolean; label: string }>(
      'POST',
      `/api/notifications/unsubscribe${qs({ token })}`,
      {},
    ),
  outbox: (cursor?: string) => api<Page<OutboxItem>>('GET', `/api/admin/outbox${qs({ cursor, limit: 50 })}`),
};
