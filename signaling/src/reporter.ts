// Signaling's link to the control service over gRPC: room lifecycle reports (ReportRoomEvent, idempotent
// by event_id, sent in the background and retried while control is unreachable, so signaling never waits
// for control to serve a participant) and join-token renewal (RefreshJoinToken). A report is retried with
// a capped backoff for as long as a control outage plausibly lasts (its database restarting, a rollout),
// so control's meeting state and counts are right once it is back; each carries the time it happened.
import { randomUUID } from 'node:crypto';
import { AppError, createGrpcClient, unary, type Logger } from '@origo/kit';
import { ControlServiceClient, RoomEventType, type ReportRoomEventRequest } from '@origo/proto/control-rpc';

export { RoomEventType };

export type RoomEventReport = Omit<
  ReportRoomEventRequest,
  'eventId' | 'occurredAtMs' | 'bytesSent' | 'participantName'
> & {
  /** The idempotency key when the event has a natural one (an egress reading); a new UUID otherwise. */
  eventId?: string;
  bytesSent?: number;
  /** The participant's display name, for participant events. */
  participantName?: string;
  /** When it happened, if not now (a room that closed after its grace ended when it emptied). */
  occurredAtMs?: number;
};

export interface RenewedToken {
  token: string;
  expiresAtMs: number;
}

export interface RoomEventReporter {
  report(event: RoomEventReport): void;
  /** A new token with the same claims from control; null when no control service is configured. */
  refreshJoinToken(token: string): Promise<RenewedToken | null>;
  close(): void;
}

/** Drops every report and renews nothing (no control service configured). */
export const noReporter: RoomEventReporter = {
  report: () => undefined,
  refreshJoinToken: () => Promise.resolve(null),
  close: () => undefined,
};

export interface ReporterOptions {
  /** The longest wait between two attempts at one report. */
  maxBackoffMs?: number;
  /** A report control has not taken after this long is dropped with a warning. */
  giveUpAfterMs?: number;
  /** With this many reports waiting, a new one is dropped with a warning. */
  maxPending?: number;
}

const FIRST_BACKOFF_MS = 250;
const UNREACHABLE_WARN_EVERY_MS = 30_000;

/** Reports to the control service at `address()` (re-read per attempt: it may appear later). */
export function grpcRoomEventReporter(
  address: () => string | undefined,
  logger: Logger,
  options: ReporterOptions = {},
): RoomEventReporter {
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 15 * 60_000;
  const maxPending = options.maxPending ?? 10_000;
  let pending = 0;
  let client: { address: string; client: ControlServiceClient } | undefined;
  let closed = false;
  const clientFor = (a: string): ControlServiceClient => {
    if (client?.address !== a) {
      client?.client.close();
      client = { address: a, client: createGrpcClient(ControlServiceClient, a, { defaultDeadlineMs: 3000 }) };
    }
    return client.client;
  };
  // An unreachable control (a wrong CONTROL_GRPC_ADDRESS, an outage) is said at once, then every
  // half minute while it lasts, and its end once: reports wait and retry meanwhile.
  let unreachableSince: number | undefined;
  let lastSaidAt = 0;
  const unreachable = (a: string, err: unknown): void => {
    const now = Date.now();
    unreachableSince ??= now;
    if (now - lastSaidAt < UNREACHABLE_WARN_EVERY_MS) return;
    lastSaidAt = now;
    logger.warn(
      { err, control: a, for_ms: now - unreachableSince, pending },
      'control cannot be reached; room events wait (meeting state and counts are behind until it answers)',
    );
  };
  const reached = (a: string): void => {
    if (unreachableSince === undefined) return;
    logger.info({ control: a, after_ms: Date.now() - unreachableSince }, 'control reached again');
    unreachableSince = undefined;
    lastSaidAt = 0;
  };
  const send = async (request: ReportRoomEventRequest): Promise<void> => {
    const giveUpAt = Date.now() + giveUpAfterMs;
    for (let attempt = 0; !closed && Date.now() < giveUpAt; attempt++) {
      const a = address();
      if (a) {
        try {
          const c = clientFor(a);
          await unary(c.reportRoomEvent.bind(c), request);
          reached(a);
          return;
        } catch (err) {
          const retry =
            err instanceof AppError && (err.code === 'UNAVAILABLE' || err.code === 'DEADLINE_EXCEEDED');
          if (retry) unreachable(a, err);
          if (!retry) {
            logger.warn(
              { err, event: RoomEventType[request.type], room: request.roomName },
              'control refused a room event',
            );
            return;
          }
        }
      }
      const backoff = Math.min(maxBackoffMs, FIRST_BACKOFF_MS * 2 ** Math.min(attempt, 16));
      await new Promise((resolve) => setTimeout(resolve, backoff).unref());
    }
    if (!closed)
      logger.warn(
        { event: RoomEventType[request.type], room: request.roomName },
        'room event not delivered to control',
      );
  };
  // One at a time, in the order they happened: control applies started before ended.
  let queue: Promise<void> = Promise.resolve();
  return {
    async refreshJoinToken(token) {
      const a = address();
      if (!a || closed) return null;
      const c = clientFor(a);
      return unary(c.refreshJoinToken.bind(c), { token });
    },
    report(event) {
      if (closed) return;
      const request: ReportRoomEventRequest = {
        ...event,
        eventId: event.eventId ?? randomUUID(),
        bytesSent: event.bytesSent ?? 0,
        participantName: event.participantName ?? '',
        occurredAtMs: event.occurredAtMs ?? Date.now(),
      };
      if (pending >= maxPending) {
        logger.warn(
          { event: RoomEventType[request.type], room: request.roomName, pending },
          'too many room events waiting for control; dropping this one',
        );
        return;
      }
      pending++;
      queue = queue
        .then(() => send(request))
        .catch((err: unknown) => logger.warn({ err, room: request.roomName }, 'room event report failed'))
        .finally(() => pending--);
    },
    close() {
      closed = true;
      client?.client.close();
      client = undefined;
    },
  };
}
