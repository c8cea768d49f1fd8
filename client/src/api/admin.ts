// The admin dashboard's views that are not one service's records: live rooms (platform/control
// src/http/live-room-routes.ts) and system health (platform/gateway src/system-health.ts).
import { qs } from './auth.js';
import { api } from './http.js';
import type { Meeting } from './meetings.js';

export interface LiveParticipant {
  sid: string;
  identity: string;
  name: string;
  is_host: boolean;
  joined_at: string;
  /** The participant's SFU byte counters (totals); null while their peer is not known. */
  media: { bytes_received: number; bytes_sent: number } | null;
}

export interface LiveRoom {
  meeting: Meeting;
  duration_seconds: number;
  participants: LiveParticipant[];
  media: {
    worker_id: string;
    room_sid: string;
    bytes_received: number;
    bytes_sent: number;
    sampled_at: string;
  } | null;
  /** Why `media` is null. */
  media_problem: string | null;
}

export interface RoleHealth {
  role: string;
  status: 'ready' | 'not_ready' | 'unreachable';
  checks: Record<string, string>;
  error: string | null;
  latency_ms: number;
}

export interface SfuWorkerLoad {
  worker_id: string;
  routers: number;
  peers: number;
  producers: number;
  consumers: number;
  cpu_load: number;
  draining: boolean;
}

export interface SystemHealth {
  checked_at: string;
  roles: RoleHealth[];
  sfu: Array<{ address: string; node_id: string | null; error: string | null; workers: SfuWorkerLoad[] }>;
}

export const adminViewsApi = {
  /** Without `orgId` the superadmin gets every organization's rooms. */
  liveRooms: (orgId: string | undefined) =>
    api<{ items: LiveRoom[] }>('GET', `/api/live-rooms${qs({ org_id: orgId })}`),
  systemHealth: () => api<SystemHealth>('GET', '/api/admin/system-health'),
};
