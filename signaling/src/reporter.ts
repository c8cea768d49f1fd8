// Room lifecycle reports to the control service (ControlService.ReportRoomEvent over gRPC). Reports
// are idempotent by event_id, so they are sent in the background and retried while control is
// unreachable; signaling never waits for control to serve a participant.
import { randomUUID } from 'node:crypto';
import { AppError, createGrpcClient, unary, type Logger } from '@origo/kit';
import { ControlServiceClient, RoomEventType, type ReportRoomEventRequest } from '@origo/proto/control-rpc';

export { RoomEventType };

export type RoomEventReport = Omit<ReportRoomEventRequest, 'eventId' | 'occurredAtMs'>;

export interface RoomEventReporter {
  report(event: RoomEventReport): void;
  close(): void;
}

/** Drops every report (no control service configured). */
export const noReporter: RoomEventReporter = { report: () => undefined, close: () => undefined };

const RETRIES = 6;

/** Reports to the control service at `address()` (re-read per attempt: it may appear later). */
export function grpcRoomEventReporter(address: () => string | undefined, logger: Logger): RoomEventReporter {
  let client: { address: string; client: ControlServiceClient } | undefined;
  let closed = false;
  const clientFor = (a: string): ControlServiceClient => {
    if (client?.address !== a) {
      client?.client.close();
      client = { address: a, client: createGrpcClient(ControlServiceClient, a, { defaultDeadlineMs: 3000 }) };
    }
    return client.client;
  };
  const send = async (request: ReportRoomEventRequest): Promise<void> => {
    for (let attempt = 0; attempt < RETRIES && !closed; attempt++) {
      const a = address();
      if (a) {
        try {
          const c = clientFor(a);
          await unary(c.reportRoomEvent.bind(c), request);
          return;
        } catch (err) {
          const retry =
            err instanceof AppError && (err.code === 'UNAVAILABLE' || err.code === 'DEADLINE_EXCEEDED');
          if (!retry) {
            logger.warn(
              { err, event: RoomEventType[request.type], room: request.roomName },
              'control refused a room event',
            );
            return;
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt).unref());
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
    report(event) {
      if (closed) return;
      const request = { ...event, eventId: randomUUID(), occurredAtMs: Date.now() };
      queue = queue.then(() => send(request));
    },
    close() {
      closed = true;
      client?.client.close();
      client = undefined;
    },
  };
}
