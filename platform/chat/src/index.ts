// Public entry of @origo/chat.
export { createChatService, openChatDatabase, CHAT_MIGRATIONS } from './service.js';
export type { ChatService, ChatServiceDeps, ChatDatabase } from './service.js';
export { chatRole } from './role.js';
export { chatConfigSchema, limitsFromEnv, type ChatEnvConfig } from './config.js';
export { ChatStore, visibleTo, type PostInput, type HistoryPage } from './chat-store.js';
export { DEFAULT_LIMITS, checkText, SenderRateLimiter, type ChatLimits } from './limits.js';
export { createCallerResolver, controlMeetingLookup } from '@origo/control/meeting-access';
export type {
  MeetingCaller as ChatCaller,
  CallerResolver,
  MeetingLookup,
} from '@origo/control/meeting-access';
export * as chatSchema from './db/schema.js';
