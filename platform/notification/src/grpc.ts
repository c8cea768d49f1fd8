import type { ServerUnaryCall } from '@grpc/grpc-js';
import { AppError, type GrpcServer } from '@origo/kit';
import { NotificationServiceService } from '@origo/proto/notification-rpc';
import type { Actor, Db } from './audit.js';
import type { Outbox } from './outbox.js';
import type { ReminderScheduler } from './reminders.js';
import { enqueueInput } from './validation.js';

/** The calling service names itself in metadata (the relay sets it); it becomes the audit actor. */
function actorOf(call: ServerUnaryCall<unknown, unknown>): Actor {
  const caller = call.metadata.get('x-origo-caller')[0];
  const name = typeof caller === 'string' && /^[a-z][a-z0-9-]{0,31}$/.test(caller) ? caller : 'unknown';
  return { id: `service:${name}` };
}

/** Registers NotificationService on a kit gRPC server. */
export function addNotificationGrpc(
  server: GrpcServer,
  deps: { db: Db; outbox: Outbox; reminders: ReminderScheduler; onEnqueued: () => void },
): void {
  server.add(NotificationServiceService, {
    async enqueue(request, call) {
      const input = enqueueInput(request);
      const actor = actorOf(call);
      const result = await deps.db.transaction((tx) => deps.outbox.enqueue(tx, input, actor));
      if (!result.duplicate && result.channels.length > 0) deps.onEnqueued();
      return result;
    },
    async setReminderSchedule(request, call) {
      if (request.schedule === undefined)
        throw AppError.invalid('Invalid reminder schedule', [{ field: 'schedule', message: 'is required' }]);
      return { applied: await deps.reminders.set(request.schedule, actorOf(call)) };
    },
    async cancelReminderSchedule(request, call) {
      return { applied: await deps.reminders.cancel(request.meetingId, request.version, actorOf(call)) };
    },
  });
}
