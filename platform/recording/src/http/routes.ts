// REST routes of the recording service, behind the gateway: a meeting's recordings under
// /api/meetings/:id/recordings (start, list) and one recording under /api/recordings/:rid (get, stop, delete,
// download). Only the meeting's hosts: its host, org admins, a join token with the host grant, superadmins.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, parseOrThrow } from '@origo/kit';
import type { CallerResolver } from '@origo/control/meeting-access';
import type { RecordingRow } from '../db/schema.js';
import type { RecordingManager } from '../manager.js';
import type { RecordingStorage } from '../storage.js';
import { checkMeetingId, checkRecordingId, type Actor, type RecordingStore } from '../store.js';

const meetingParams = z.strictObject({ id: z.string().min(1).max(128) });
const recordingParams = z.strictObject({ rid: z.string().min(1).max(64) });

export function recordingJson(r: RecordingRow) {
  return {
    id: r.id,
    meeting_id: r.meetingId,
    status: r.status,
    layout: r.layout,
    bytes: r.bytes,
    duration_ms: r.durationMs,
    tracks: r.tracks,
    error: r.error,
    started_at: r.startedAt.toISOString(),
    stopped_at: r.stoppedAt?.toISOString() ?? null,
    created_by: r.createdBy,
    download_url: r.status === 'ready' ? `/api/recordings/${r.id}/file` : null,
  };
}

export function registerRoutes(
  app: FastifyInstance,
  deps: {
    store: RecordingStore;
    manager: RecordingManager;
    storage: RecordingStorage;
    resolveCaller: CallerResolver;
  },
): void {
  const { store, manager, storage, resolveCaller } = deps;

  /** The caller, who must host `meetingId`. */
  const host = async (request: FastifyRequest, meetingId: string): Promise<Actor> => {
    const caller = await resolveCaller(request, meetingId);
    if (!caller.host) throw AppError.forbidden('Only the meeting host or an admin may manage recordings');
    return { id: caller.identity, requestId: request.id };
  };
  const recordingFor = async (request: FastifyRequest): Promise<{ row: RecordingRow; actor: Actor }> => {
    const { rid } = parseOrThrow(recordingParams, request.params);
    const row = await store.get(checkRecordingId(rid));
    if (!row) throw AppError.notFound('Recording');
    return { row, actor: await host(request, row.meetingId) };
  };

  app.post('/api/meetings/:id/recordings', async (request, reply: FastifyReply) => {
    const { id } = parseOrThrow(meetingParams, request.params);
    const actor = await host(request, checkMeetingId(id));
    const row = await manager.start(id, actor);
    return reply.code(201).send(recordingJson(row));
  });

  app.get('/api/meetings/:id/recordings', async (request) => {
    const { id } = parseOrThrow(meetingParams, request.params);
    await host(request, checkMeetingId(id));
    return { recordings: (await store.list(id)).map(recordingJson) };
  });

  app.get('/api/recordings/:rid', async (request) => recordingJson((await recordingFor(request)).row));

  app.post('/api/recordings/:rid/stop', async (request) => {
    const { row, actor } = await recordingFor(request);
    return recordingJson(await manager.stop(row.id, actor));
  });

  app.delete('/api/recordings/:rid', async (request, reply: FastifyReply) => {
    const { row, actor } = await recordingFor(request);
    await manager.delete(row.id, actor);
    return reply.code(204).send();
  });

  app.get('/api/recordings/:rid/file', async (request, reply: FastifyReply) => {
    const { row } = await recordingFor(request);
    if (row.status !== 'ready') throw AppError.precondition(`The recording is ${row.status}`);
    const stored = await storage.stat(row.storageKey);
    if (!stored) throw AppError.notFound('Recording file');
    return reply
      .header('content-type', 'video/mp4')
      .header('content-length', String(stored.bytes))
      .header('content-disposition', `attachment; filename="${row.id}.mp4"`)
      .send(storage.open(row.storageKey));
  });
}
