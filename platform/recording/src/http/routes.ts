// REST routes of the recording service, behind the gateway: a meeting's recordings under
// /api/meetings/:id/recordings (start, list) and one recording under /api/recordings/:rid (get, stop, delete,
// download). Only the meeting's hosts: its host, org admins, a join token with the host grant, superadmins.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hasPermission, type PrincipalResolver } from '@origo/auth/client';
import { AppError, ErrorCode, assertSameOrigin, parseOrThrow } from '@origo/kit';
import { auditFilterQuery, auditRangeProblem, orgAuditView } from '@origo/kit/db';
import type { CallerResolver } from '@origo/control/meeting-access';
import type { RecordingRow } from '../db/schema.js';
import type { LinkSigner } from '../links.js';
import { hlsPrefix } from '../Recorder.js';
import type { RecordingManager } from '../manager.js';
import { contentTypeOf, type RecordingStorage } from '../storage.js';
import { checkMeetingId, checkRecordingId, type Actor, type RecordingStore } from '../store.js';

const meetingParams = z.strictObject({ id: z.string().min(1).max(128) });
// Path parameters (the route defines the keys; the HLS route adds `file`).
const recordingParams = z.object({ rid: z.string().min(1).max(64) });
/** `composite` (default): one MP4 of the meeting; `tracks`: every track in its own file, in a tar. */
const startBody = z.strictObject({ layout: z.enum(['composite', 'tracks']).optional() }).optional();
const linkBody = z
  .strictObject({
    expires_in: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .optional(),
  })
  .optional();
const hlsParams = z.strictObject({
  rid: z.string().min(1).max(64),
  file: z.string().regex(/^(index\.m3u8|init\.mp4|seg-\d{5}\.m4s)$/, 'is not a file of the recording'),
});
const fileQuery = z.strictObject({
  expires: z
    .string()
    .regex(/^\d{1,12}$/, 'must be a time in seconds since the epoch')
    .optional(),
  signature: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a link signature')
    .optional(),
});
const retentionQuery = z.strictObject({
  org_id: z.string().regex(/^org_[A-Za-z0-9_-]{1,64}$/, 'must be an organization id'),
});
const auditQuery = z.strictObject({
  org_id: z.string().regex(/^org_[A-Za-z0-9_-]{1,64}$/, 'must be an organization id'),
  ...auditFilterQuery,
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'is not a cursor this API issued')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const retentionBody = z.strictObject({
  org_id: z.string().regex(/^org_[A-Za-z0-9_-]{1,64}$/, 'must be an organization id'),
  /** Days a finished recording is kept; null keeps recordings until someone deletes them. */
  days: z.number().int().min(1).max(3650).nullable(),
});
/** A stop answers within this (the gateway waits 30 s for an answer); the file may be stored later. */
const DEFAULT_STOP_WAIT_MS = 3_000;
/** What a caller reads when a shared link does not open its recording (the reason says which case). */
const LINK_REFUSED = 'This link is not valid or has expired: ask the host for a new one';
/** The client's page that explains a shared link that does not work (`?problem=`). */
export const LINK_PAGE = '/recording-link';

/** A link's query: a request by a shared link rather than by a signed-in host. */
const carriesLink = (request: FastifyRequest): boolean => {
  const query = (request.query ?? {}) as Record<string, unknown>;
  return query['signature'] !== undefined || query['expires'] !== undefined;
};

/** A browser tab opening the address (a person followed the link), not a player, script or API client. */
const opensAsPage = (request: FastifyRequest): boolean =>
  request.method === 'GET' &&
  (request.headers['sec-fetch-mode'] === 'navigate' ||
    /\btext\/html\b/.test(String(request.headers.accept ?? '')));

/** Which of the page's texts fits: `expired`, `removed`, `unavailable` (not ready) or `invalid`. */
function linkProblem(err: unknown): 'expired' | 'removed' | 'unavailable' | 'invalid' {
  if (!(err instanceof AppError)) return 'invalid';
  if (err.reason === 'link_expired') return 'expired';
  if (err.reason === 'recording_removed') return 'removed';
  if (err.code === ErrorCode.FAILED_PRECONDITION) return 'unavailable';
  return 'invalid';
}

/** Links last an hour unless asked otherwise (a week at most). */
const DEFAULT_LINK_TTL_S = 3600;

export function recordingJson(r: RecordingRow) {
  return {
    id: r.id,
    meeting_id: r.meetingId,
    status: r.status,
    layout: r.layout,
    org_id: r.orgId,
    meeting_title: r.meetingTitle,
    bytes: r.bytes,
    duration_ms: r.durationMs,
    tracks: r.tracks,
    error: r.error,
    interrupted: r.interrupted,
    started_at: r.startedAt.toISOString(),
    stopped_at: r.stoppedAt?.toISOString() ?? null,
    created_by: r.createdBy,
    download_url: r.status === 'ready' ? `/api/recordings/${r.id}/file` : null,
    hls_url: r.status === 'ready' && r.hlsFiles !== null ? `/api/recordings/${r.id}/hls/index.m3u8` : null,
  };
}

/**
 * One byte range of an object of `size` bytes (RFC 9110 section 14.2): `bytes=a-b`, `bytes=a-` or
 * `bytes=-n`. Undefined means the whole object (no header, several ranges, or another unit).
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start >= size || start > end)
    return 'unsatisfiable';
  return { start, end };
}

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function registerRoutes(
  app: FastifyInstance,
  deps: {
    store: RecordingStore;
    manager: RecordingManager;
    storage: RecordingStorage;
    resolveCaller: CallerResolver;
    links: LinkSigner;
    /** Signed-in callers (organization settings: retention). */
    resolvePrincipal?: PrincipalResolver | undefined;
    /** Where browsers come from: a cookie-authenticated change from elsewhere is refused. */
    publicUrl?: string | undefined;
    /** The configured public base URL: links to the local folder's files are absolute under it. */
    linkBaseUrl?: string | undefined;
    /** How long POST .../stop waits for the stored file before answering 202 (default 3 s). */
    stopWaitMs?: number | undefined;
  },
): void {
  const { store, manager, storage, resolveCaller, links } = deps;
  const stopWaitMs = deps.stopWaitMs ?? DEFAULT_STOP_WAIT_MS;
  /** A path of this service as a link hands it out: under the public base URL when one is configured. */
  const linkBase = deps.linkBaseUrl?.replace(/\/+$/, '') ?? '';

  /** The signed-in caller, who must hold `permission` in `orgId`. */
  const orgCaller = async (
    request: FastifyRequest,
    orgId: string,
    permission: 'org:read' | 'org:update' | 'audit:read',
  ): Promise<Actor> => {
    const principal = (await deps.resolvePrincipal?.(request)) ?? null;
    if (principal === null) throw AppError.unauthenticated();
    if (!hasPermission(principal, permission, orgId))
      throw AppError.forbidden(
        permission === 'org:update'
          ? 'Only an admin of the organization may change how long its recordings are kept'
          : permission === 'audit:read'
            ? "Only an admin of the organization may read its recordings' audit log"
            : 'You are not a member of this organization',
      );
    return { id: principal.userId, requestId: request.id };
  };

  // How long an organization keeps its recordings (a job removes older ones every hour).
  // Who started, stopped and deleted which meeting's recordings, and when: the organization's admins.
  app.get('/api/recordings/audit', async (request) => {
    const query = parseOrThrow(auditQuery, request.query, 'Invalid query parameters');
    await orgCaller(request, query.org_id, 'audit:read');
    const problem = auditRangeProblem(query);
    if (problem !== null)
      throw AppError.invalid('Invalid query parameters', [{ field: 'to', message: problem }]);
    const page = await store.orgAudit(
      query.org_id,
      query,
      query.limit,
      query.cursor === undefined ? undefined : Number(query.cursor),
    );
    return {
      items: page.items.map((row) => ({
        ...orgAuditView({ ...row, orgId: query.org_id }),
        meetingId: row.meetingId === '' ? null : row.meetingId,
      })),
      nextCursor: page.nextCursor,
    };
  });

  app.get('/api/recordings/retention', async (request) => {
    const { org_id } = parseOrThrow(retentionQuery, request.query);
    await orgCaller(request, org_id, 'org:read');
    return { org_id, days: (await store.retention(org_id))?.days ?? null };
  });

  app.put('/api/recordings/retention', async (request) => {
    if (deps.publicUrl !== undefined)
      assertSameOrigin(request, { trustedOrigin: new URL(deps.publicUrl).origin, trustForwardedHost: true });
    const body = parseOrThrow(retentionBody, request.body);
    const actor = await orgCaller(request, body.org_id, 'org:update');
    const row = await store.setRetention(body.org_id, body.days, actor);
    return { org_id: body.org_id, days: row?.days ?? null };
  });

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
    const body = parseOrThrow(startBody, request.body ?? undefined);
    const row = await manager.start(id, actor, body?.layout ?? 'composite');
    return reply.code(201).send(recordingJson(row));
  });

  app.get('/api/meetings/:id/recordings', async (request) => {
    const { id } = parseOrThrow(meetingParams, request.params);
    await host(request, checkMeetingId(id));
    return { recordings: (await store.list(id)).map(recordingJson) };
  });

  app.get('/api/recordings/:rid', async (request) => recordingJson((await recordingFor(request)).row));

  // Answers with the stored recording (200, ready or failed) when it is finished within stopWaitMs, else
  // 202 with the recording still `stopping`: FFmpeg may take longer on a loaded machine than the gateway
  // waits for an answer, and the caller follows GET /api/recordings/:rid (the meeting page does).
  app.post('/api/recordings/:rid/stop', async (request, reply: FastifyReply) => {
    const { row, actor } = await recordingFor(request);
    const { stopping, done } = await manager.beginStop(row.id, actor);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      done,
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), stopWaitMs))),
    ]);
    clearTimeout(timer);
    if (finished !== null) return recordingJson(finished);
    return reply.code(202).send(recordingJson((await store.get(row.id)) ?? stopping));
  });

  app.delete('/api/recordings/:rid', async (request, reply: FastifyReply) => {
    const { row, actor } = await recordingFor(request);
    await manager.delete(row.id, actor);
    return reply.code(204).send();
  });

  // A link to watch or download without signing in, for an hour by default: S3 presigned when the
  // recordings are in S3, else this service's file route with an expiry and a signature, as an absolute URL
  // under the public base URL when one is configured (a path behind the gateway otherwise).
  app.post('/api/recordings/:rid/link', async (request) => {
    const { row } = await recordingFor(request);
    if (row.status !== 'ready') throw AppError.precondition(`The recording is ${row.status}`);
    const ttl = parseOrThrow(linkBody, request.body ?? undefined)?.expires_in ?? DEFAULT_LINK_TTL_S;
    const expires = Math.floor(Date.now() / 1000) + ttl;
    const url =
      storage.signedUrl !== undefined
        ? await storage.signedUrl(row.storageKey, ttl)
        : `${linkBase}/api/recordings/${row.id}/file?${links.query(row.id, expires)}`;
    return {
      url,
      // HLS goes through this service (segments signed by the link), whatever the storage.
      hls_url:
        row.hlsFiles === null
          ? null
          : `${linkBase}/api/recordings/${row.id}/hls/index.m3u8?${links.query(row.id, expires)}`,
      expires_at: new Date(expires * 1000).toISOString(),
    };
  });

  /**
   * The recording a file request is for: through a link (`expires` and `signature`, no sign-in) or by its
   * host. Returns the link's query too, which the HLS playlist passes on to its segments.
   */
  const readable = async (request: FastifyRequest): Promise<{ row: RecordingRow; linkQuery?: string }> => {
    const query = parseOrThrow(fileQuery, request.query);
    if (query.signature === undefined && query.expires === undefined)
      return { row: (await recordingFor(request)).row };
    const { rid } = parseOrThrow(recordingParams, request.params);
    const found = await store.get(checkRecordingId(rid));
    const expires = Number(query.expires);
    const genuine =
      query.signature !== undefined &&
      query.expires !== undefined &&
      links.verify(checkRecordingId(rid), expires, query.signature, 0);
    if (found && genuine && links.verify(found.id, expires, query.signature!)) {
      if (found.status !== 'ready') throw AppError.precondition(`The recording is ${found.status}`);
      return { row: found, linkQuery: `expires=${query.expires}&signature=${query.signature}` };
    }
    // The words stay as they were for API callers; the reason tells which of the three it is.
    throw new AppError(ErrorCode.PERMISSION_DENIED, LINK_REFUSED, {
      reason: !genuine ? 'link_invalid' : !found ? 'recording_removed' : 'link_expired',
    });
  };

  /**
   * readable() for the routes a shared link opens. A person who opens a link that does not work in a
   * browser tab is sent (303) to the site's page that says why and what to do next, instead of a
   * problem document; players and API callers still get the problem document.
   */
  const readableOrExplain = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ row: RecordingRow; linkQuery?: string } | null> => {
    try {
      return await readable(request);
    } catch (err) {
      if (!opensAsPage(request) || !carriesLink(request)) throw err;
      await reply.redirect(`${linkBase}${LINK_PAGE}?problem=${linkProblem(err)}`, 303);
      return null;
    }
  };

  // HLS: the playlist, its init segment and media segments of a ready composite, for players that stream.
  app.get('/api/recordings/:rid/hls/:file', async (request, reply: FastifyReply) => {
    const { file } = parseOrThrow(hlsParams, request.params);
    const opened = await readableOrExplain(request, reply);
    if (opened === null) return reply;
    const { row, linkQuery } = opened;
    if (row.status !== 'ready') throw AppError.precondition(`The recording is ${row.status}`);
    if (!(row.hlsFiles ?? []).includes(file)) throw AppError.notFound('HLS file');
    const key = `${hlsPrefix(row.storageKey)}${file}`;
    reply.header('content-type', contentTypeOf(key)).header('cache-control', 'private, max-age=300');
    if (file !== 'index.m3u8') return reply.send(storage.open(key));
    // Through a link, every URI in the playlist carries the link's signature, so segments load too.
    let text = await streamText(storage.open(key));
    if (linkQuery !== undefined)
      text = text
        .split('\n')
        .map((line) =>
          line.startsWith('#EXT-X-MAP:')
            ? line.replace(/URI="([^"?]+)"/, `URI="$1?${linkQuery}"`)
            : line.length > 0 && !line.startsWith('#')
              ? `${line}?${linkQuery}`
              : line,
        )
        .join('\n');
    return reply.send(text);
  });

  app.get('/api/recordings/:rid/file', async (request, reply: FastifyReply) => {
    const opened = await readableOrExplain(request, reply);
    if (opened === null) return reply;
    const { row } = opened;
    if (row.status !== 'ready') throw AppError.precondition(`The recording is ${row.status}`);
    const stored = await storage.stat(row.storageKey);
    if (!stored) throw AppError.notFound('Recording file');
    const tracks = row.layout === 'tracks';
    reply
      .header('content-type', tracks ? 'application/x-tar' : 'video/mp4')
      .header('accept-ranges', 'bytes')
      // A composite plays in the browser that opens it (a shared link is for watching; the page's Download
      // button forces a download with its `download` attribute); a per-track archive can only be saved.
      .header(
        'content-disposition',
        `${tracks ? 'attachment' : 'inline'}; filename="${row.id}.${tracks ? 'tar' : 'mp4'}"`,
      );
    // A player seeks with byte ranges (one range; anything else is answered with the whole file).
    const range = byteRange(request.headers.range, stored.bytes);
    if (range === 'unsatisfiable')
      return reply.code(416).header('content-range', `bytes */${stored.bytes}`).send();
    if (range === undefined)
      return reply.header('content-length', String(stored.bytes)).send(storage.open(row.storageKey));
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${stored.bytes}`)
      .header('content-length', String(range.end - range.start + 1))
      .send(storage.open(row.storageKey, range));
  });
}
