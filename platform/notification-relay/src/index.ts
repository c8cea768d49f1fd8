// Public entry of @origo/notification-relay.
export { notificationRelay, type RelayRow, type RelayRpc } from './table.js';
export { NotificationRelay, type RelayCall, type RelayOptions } from './relay.js';
