// What the parts of a signaling node share: its dependencies, its live rooms and sessions, and each other.
// node.ts builds one and hands it to every part; no part reaches another any other way.
import type { Logger } from '@origo/kit';
import type { Bus } from '@origo/kit/bus';
import type { SignalingConfig } from './config.js';
import type { SignalingMetrics } from './metrics.js';
import type { RoomEventReporter } from './reporter.js';
import type { SfuPool } from './sfu.js';
import type { RoomStore } from './store.js';
import type { JoinTokenVerifier } from './token.js';
import type { IceConfig } from './turn.js';
import type { Departures } from './departures.js';
import type { MediaRelay } from './media.js';
import type { NodeLoss } from './nodeLoss.js';
import type { RoomBus } from './roomBus.js';
import type { RoomRegistry } from './rooms.js';
import type { Session } from './session.js';
import type { TokenKeeper } from './tokens.js';
import type { ChatBackend } from './chatBackend.js';
import type { ChatRelay } from './chat.js';
import type { PresenceStore } from '@origo/control/presence';
import type { PresenceWriter } from './presence.js';

export interface SignalingNodeOptions {
  config: SignalingConfig;
  logger: Logger;
  metrics: SignalingMetrics;
  bus: Bus;
  store: RoomStore;
  pool: SfuPool;
  verifier: JoinTokenVerifier;
  turnSecret: string | undefined;
  version: string;
  reporter: RoomEventReporter;
  /** The chat role (messages, hands); `noChat` answers UNAVAILABLE. */
  chatBackend: ChatBackend;
  /** Where signed-in participants' presence is kept (the shared kv). */
  presenceStore: PresenceStore;
}

export interface NodeContext extends SignalingNodeOptions {
  readonly ice: IceConfig;
  /** Sessions joined through this node, by session id (the resume key). */
  readonly sessionsById: Map<string, Session>;
  readonly flags: { draining: boolean; closing: boolean };
  readonly rooms: RoomRegistry;
  readonly departures: Departures;
  readonly media: MediaRelay;
  readonly roomBus: RoomBus;
  readonly tokens: TokenKeeper;
  readonly chat: ChatRelay;
  readonly presence: PresenceWriter;
  readonly nodeLoss: NodeLoss;
}
