// REST routes of platform/recording (src/http/routes.ts): a meeting's recordings, for its hosts. In the
// meeting the host proves the host grant with the join token; afterwards the session cookie is enough.
import type { AuditEvent } from './auth.js';
import { api } from './http.js';

export type RecordingStatus = 'recording' | 'stopping' | 'ready' | 'failed';

export interface Recording {
  id: string;
  meeting_id: string;
  status: RecordingStatus;
  /** `composite`: one MP4 of the meeting; `tracks`: a tar of each track's own file (post-production). */
  layout: 'composite' | 'tracks';
  started_at: string;
  stopped_at: string | null;
  duration_ms: number | null;
  bytes: number | null;
  error: string | null;
  /** The HLS playlist of a ready composite (players stream it in segments), else null. */
  hls_url: string | null;
  /** Finished from what was on disk after the recorder stopped during the recording. */
  interrupted: boolean;
}

export interface RecordingLink {
  /** Relative to this site (local storage) or the store's own address (S3). */
  url: string;
  /** The HLS playlist through this site, its segments signed by the same link. */
  hls_url: string | null;
  expires_at: string;
}

const bearer = (joinToken: string | undefined): Record<string, string> =>
  joinToken === undefined ? {} : { authorization: `Bearer ${joinToken}` };

/** One row of an organization's recording log (platform/recording, GET /api/recordings/audit). */
export interface RecordingAuditEvent extends AuditEvent {
  /** The meeting the recording is of; null for retention changes. */
  meetingId: string | null;
}

export const recordingsApi = {
  start: (meetingId: string, joinToken?: string) =>
    api<Recording>(
      'POST',
      `/api/meetings/${encodeURIComponent(meetingId)}/recordings`,
      {},
      bearer(joinToken),
    ),
  get: (recordingId: string, joinToken?: string) =>
    api<Recording>('GET', `/api/recordings/${encodeURIComponent(recordingId)}`, undefined, bearer(joinToken)),
  stop: (recordingId: string, joinToken?: string) =>
    api<Recording>('POST', `/api/recordings/${encodeURIComponent(recordingId)}/stop`, {}, bearer(joinToken)),
  list: (meetingId: string) =>
    api<{ recordings: Recording[] }>('GET', `/api/meetings/${encodeURIComponent(meetingId)}/recordings`).then(
      (r) => r.recordings,
    ),
  remove: (recordingId: string) => api<void>('DELETE', `/api/recordings/${encodeURIComponent(recordingId)}`),
  /** A link that plays or downloads the recording without signing in, until it expires (an hour). */
  link: (recordingId: string) =>
    api<RecordingLink>('POST', `/api/recordings/${encodeURIComponent(recordingId)}/link`, {}),
  /** The organization's recording log (admins): starts, stops, deletes, newest first. */
  audit: (orgId: string, filter: Record<string, string> = {}, cursor?: string) => {
    const params = new URLSearchParams({ org_id: orgId, limit: '50' });
    for (const [k, v] of Object.entries(filter)) if (v !== '') params.set(k, v);
    if (cursor !== undefined) params.set('cursor', cursor);
    return api<{ items: RecordingAuditEvent[]; nextCursor: string | null }>(
      'GET',
      `/api/recordings/audit?${params.toString()}`,
    );
  },
  /** How long the organization keeps recordings (days; null: until deleted). */
  retention: (orgId: string) =>
    api<{ org_id: string; days: number | null }>(
      'GET',
      `/api/recordings/retention?org_id=${encodeURIComponent(orgId)}`,
    ),
  setRetention: (orgId: string, days: number | null) =>
    api<{ org_id: string; days: number | null }>('PUT', '/api/recordings/retention', { org_id: orgId, days }),
  /** Where the browser plays or downloads a ready recording (the session cookie authorizes it). */
  fileUrl: (recordingId: string) => `/api/recordings/${encodeURIComponent(recordingId)}/file`,
};
