import { randomUUID } from 'node:crypto';

export type NotificationId = string & { readonly __brand: 'NotificationId' };
export type DeliveryId = string & { readonly __brand: 'DeliveryId' };
export type PushSubscriptionId = string & { readonly __brand: 'PushSubscriptionId' };

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`;

export const newNotificationId = (): NotificationId => newId('ntf') as NotificationId;
export const newDeliveryId = (): DeliveryId => newId('dlv') as DeliveryId;
export const newPushSubscriptionId = (): PushSubscriptionId => newId('psb') as PushSubscriptionId;

/** Ids other services hand us (users, organizations, meetings): short and plain. */
export function isPlainId(value: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(value);
}
