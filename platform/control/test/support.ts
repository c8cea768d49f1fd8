// Helpers for test files: audit counts and room events over the real gRPC API.
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { createGrpcClient, unary } from '@origo/kit';
import {
  ControlServiceClient,
  type RoomEventType,
  type ReportRoomEventRequest,
  type ReportRoomEventResponse,
} from '@origo/proto/control-rpc';
import { controlSchema } from '../src/index.js';
import type { Harness } from './helpers.js';

export async function auditCount(h: Harness, entityId?: string): Promise<number> {
  const [row] = await h.database.db
    .select({ n: count() })
    .from(controlSchema.auditEvents)
    .where(entityId === undefined ? undefined : eq(controlSchema.auditEvents.entityId, entityId));
  return row?.n ?? 0;
}

export async function auditRows(h: Harness, entityId: string) {
  return h.database.db
    .select()
    .from(controlSchema.auditEvents)
    .where(eq(controlSchema.auditEvents.entityId, entityId))
    .orderBy(controlSchema.auditEvents.id);
}

const clients = new Map<string, InstanceType<typeof ControlServiceClient>>();

export function grpcClient(h: Harness): InstanceType<typeof ControlServiceClient> {
  let client = clients.get(h.grpc);
  if (client === undefined) {
    client = createGrpcClient(ControlServiceClient, h.grpc);
    clients.set(h.grpc, client);
  }
  return client;
}

export function reportEvent(
  h: Harness,
  event: Partial<ReportRoomEventRequest> & { roomName: string; type: RoomEventType },
): Promise<ReportRoomEventResponse> {
  const client = grpcClient(h);
  return unary(client.reportRoomEvent.bind(client), {
    eventId: randomUUID(),
    roomSid: 'RM_1',
    occurredAtMs: Date.now(),
    participantIdentity: '',
    participantCount: 0,
    reason: '',
    ...event,
    bytesSent: event.bytesSent ?? 0,
    participantName: event.participantName ?? '',
  });
}

export function closeGrpcClients(): void {
  for (const client of clients.values()) client.close();
  clients.clear();
}
