// The signaling domain of one node, as the WebSocket edge (service.ts) sees it: join, requests, socket
// loss, SFU events, control's commands, shutdown. It builds the parts and wires them; each part lives in
// its own file (join.ts, requests.ts, media.ts, departures.ts, rooms.ts, roomBus.ts, sfuEvents.ts,
// commands.ts, nodeLoss.ts) and reaches the others only through the shared NodeContext.
import type { SessionEndedMessage } from '@origo/auth/events';
import type { DecodedSignalRequest } from '@origo/proto/json';
import type { SfuEvent } from '@origo/proto/sfu-rpc';
import { DisconnectReason, LeaveAction, type JoinRequest } from '@origo/proto/signal';
import { RoomCommands } from './commands.js';
import { SignOuts } from './signOuts.js';
import type { NodeContext, SignalingNodeOptions } from './context.js';
import { Departures } from './departures.js';
import { CLOSE } from './errors.js';
import { Joiner } from './join.js';
import { MediaRelay } from './media.js';
import { NodeLoss } from './nodeLoss.js';
import { RequestHandler } from './requests.js';
import { push } from './responses.js';
import { RoomBus } from './roomBus.js';
import { RoomRegistry } from './rooms.js';
import { SfuEventRouter } from './sfuEvents.js';
import { TokenKeeper } from './tokens.js';
import { ChatRelay } from './chat.js';
import { PresenceWriter } from './presence.js';
import type { ClientLink, Session } from './session.js';

export type { ClientLink, Session } from './session.js';
export type { SignalingNodeOptions } from './context.js';
export { CLOSE, SignalError, toSignalError } from './errors.js';
export { errorResponse, response } from './responses.js';

export class SignalingNode {
  private readonly ctx: NodeContext;
  private readonly joiner: Joiner;
  private readonly requests: RequestHandler;
  private readonly sfuEvents: SfuEventRouter;
  private readonly commands: RoomCommands;
  private readonly signOuts: SignOuts;

  constructor(opts: SignalingNodeOptions) {
    const parts = {} as {
      rooms: RoomRegistry;
      departures: Departures;
      media: MediaRelay;
      roomBus: RoomBus;
      tokens: TokenKeeper;
      chat: ChatRelay;
      presence: PresenceWriter;
      nodeLoss: NodeLoss;
    };
    const ctx: NodeContext = Object.assign(parts, opts, {
      ice: {
        stunUrls: opts.config.STUN_URLS,
        turnUrls: opts.config.TURN_URLS,
        turnSecret: opts.turnSecret,
        turnTtlSeconds: opts.config.TURN_TTL_SECONDS,
      },
      sessionsById: new Map<string, Session>(),
      flags: { draining: false, closing: false },
    });
    parts.rooms = new RoomRegistry(ctx);
    parts.departures = new Departures(ctx);
    parts.media = new MediaRelay(ctx);
    parts.roomBus = new RoomBus(ctx);
    parts.tokens = new TokenKeeper(ctx);
    parts.chat = new ChatRelay(ctx, opts.chatBackend);
    parts.presence = new PresenceWriter(ctx, opts.presenceStore);
    parts.nodeLoss = new NodeLoss(ctx);
    this.ctx = ctx;
    this.joiner = new Joiner(ctx, (err, task, session) => {
      opts.logger.warn(
        { err, task, participant_sid: session.sid, room: session.room.name },
        'session task failed',
      );
    });
    this.requests = new RequestHandler(ctx);
    this.sfuEvents = new SfuEventRouter(ctx);
    this.commands = new RoomCommands(ctx);
    this.signOuts = new SignOuts(ctx);
  }

  get sessionCount(): number {
    return this.ctx.sessionsById.size;
  }

  get roomCount(): number {
    return this.ctx.rooms.activeCount;
  }

  drain(): void {
    this.ctx.flags.draining = true;
  }

  join(link: ClientLink, req: JoinRequest, requestId: string): Promise<Session> {
    return this.joiner.join(link, req, requestId);
  }

  handle(session: Session, req: DecodedSignalRequest): void {
    this.requests.handle(session, req);
  }

  detach(session: Session, link: ClientLink): void {
    this.ctx.departures.detach(session, link);
  }

  onSfuEvent(address: string, event: SfuEvent): void {
    this.sfuEvents.onEvent(address, event);
  }

  onWorkerLost(address: string): void {
    this.ctx.rooms.workerLost(address);
  }

  /** Announces the participants of dead signaling nodes gone, in the rooms this node serves. */
  sweepDeadNodes(): Promise<void> {
    return this.ctx.nodeLoss.sweep();
  }

  /** This node's heartbeat had expired (it was cut off from the store): see whom the others declared gone. */
  heartbeatLapsed(): Promise<void> {
    return this.ctx.nodeLoss.revived();
  }

  /** Before serving: looks after what a previous run under this node id left in the store. */
  restarted(): Promise<void> {
    return this.ctx.nodeLoss.restarted();
  }

  onRoomCommand(raw: unknown): Promise<void> {
    return this.commands.onCommand(raw);
  }

  /** Auth's announcement of ended sessions: an account an administrator signed out leaves its rooms. */
  onSessionsEnded(message: SessionEndedMessage): Promise<void> {
    return this.signOuts.onSessionsEnded(message);
  }

  /** Rewrites the presence of this node's signed-in participants before it expires. */
  refreshPresence(): void {
    this.ctx.presence.refresh();
  }

  /** An edit or delete made over REST (the chat role's `chat-changes` channel). */
  onChatChange(raw: unknown): void {
    this.ctx.chat.onChange(raw);
  }

  /** Tells every client to reconnect elsewhere and ends every session here. */
  async close(): Promise<void> {
    if (this.ctx.flags.closing) return;
    this.ctx.flags.closing = true;
    const sessions = [...this.ctx.sessionsById.values()];
    for (const s of sessions) {
      s.send(
        push('leave', {
          reason: DisconnectReason.DISCONNECT_REASON_SERVER_SHUTDOWN,
          action: LeaveAction.LEAVE_ACTION_RECONNECT,
        }),
      );
    }
    await Promise.all(
      sessions.map((s) =>
        this.ctx.departures.closeAndWait(s, DisconnectReason.DISCONNECT_REASON_SERVER_SHUTDOWN, {
          closeSocket: CLOSE.GOING_AWAY,
        }),
      ),
    );
    await this.ctx.rooms.closeAll();
  }
}
