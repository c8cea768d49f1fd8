// Public entry of @origo/notification.
export { createNotificationService, openNotificationDatabase, NOTIFICATION_MIGRATIONS } from './service.js';
export type { NotificationService, NotificationServiceDeps, NotificationDatabase } from './service.js';
export { notificationRole, UNSUBSCRIBE_SECRET, VAPID_SECRET } from './role.js';
export { notificationConfigSchema, settingsFromEnv, defaultSettings } from './config.js';
export type { NotificationEnvConfig, NotificationSettings, SmsSettings } from './config.js';
export { generateVapidKeys, type VapidKeys } from './channels/push.js';
export { FormPostSmsProvider, type SmsProvider } from './channels/sms.js';
export { DeliveryError, type ChannelSender } from './channels/types.js';
export { KINDS, CHANNELS, KIND_POLICY, type Kind, type Channel } from './kinds.js';
export { render, type Content, type Rendered } from './templates/render.js';
export { signUnsubscribe, verifyUnsubscribe, type UnsubscribeTarget } from './unsubscribe.js';
export { nextReminder } from './reminders.js';
export * as notificationSchema from './db/schema.js';
