// The admin dashboard's system health: the readiness of every role the gateway forwards to (their own
// /health/ready, each with its checks) and the load of every SFU worker (SfuService.GetLoad), in one answer
// for the superadmin. Asked on demand; nothing is cached, so what it shows is the state at that moment.
import { AppError, ErrorCode, grpcClientPool, unary } from '@origo/kit';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';

export interface RoleReadiness {
  role: string;
  /** `ready` (200), `not_ready` (it answered 503 or another status), `unreachable` (no answer in time). */
  status: 'ready' | 'not_ready' | 'unreachable';
  /** The role's own checks (`database: ok`, ...), as its /health/ready lists them. */
  checks: Record<string, string>;
  /** What went wrong when it did not answer. */
  error: string | null;
  latencyMs: number;
}

export interface SfuWorkerLoad {
  workerId: string;
  routers: number;
  peers: number;
  producers: number;
  consumers: number;
  /** Fraction of one core over the last seconds (0..1). */
  cpuLoad: number;
  draining: boolean;
}

export interface SfuNodeLoad {
  /** The gRPC address asked. */
  address: string;
  nodeId: string | null;
  workers: SfuWorkerLoad[];
  error: string | null;
}

export interface SystemHealth {
  checkedAt: string;
  roles: RoleReadiness[];
  sfu: SfuNodeLoad[];
}

export interface SystemHealthSources {
  /** Base URLs of the roles to ask, by role name (http(s), or ws(s) for signaling's listener). */
  roles: Array<{ role: string; url: () => Promise<string> }>;
  /** gRPC addresses of the SFU workers known now. */
  sfuWorkers: () => Promise<string[]>;
  timeoutMs: number;
}

const httpBase = (value: string): URL => {
  const url = new URL(value);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  if (url.protocol === 'wss:') url.protocol = 'https:';
  return url;
};

async function readiness(
  role: string,
  base: () => Promise<string>,
  timeoutMs: number,
): Promise<RoleReadiness> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(new URL('/health/ready', httpBase(await base())), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as { checks?: unknown };
    const checks: Record<string, string> = {};
    if (typeof body.checks === 'object' && body.checks !== null)
      for (const [name, value] of Object.entries(body.checks)) checks[name] = String(value);
    return {
      role,
      status: response.status === 200 ? 'ready' : 'not_ready',
      checks,
      error: response.status === 200 ? null : `answered HTTP ${response.status}`,
      latencyMs: took(),
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { role, status: 'unreachable', checks: {}, error: reason, latencyMs: took() };
  }
}

export interface SystemHealthProbe {
  check(): Promise<SystemHealth>;
  close(): void;
}

export function systemHealthProbe(sources: SystemHealthSources): SystemHealthProbe {
  const clients = grpcClientPool(SfuServiceClient);
  const client = (address: string): SfuServiceClient => clients.get(address);

  async function load(address: string): Promise<SfuNodeLoad> {
    const c = client(address);
    try {
      const res = await unary(c.getLoad.bind(c), {}, { deadlineMs: sources.timeoutMs });
      return {
        address,
        nodeId: res.nodeId,
        workers: res.workers.map((w) => ({
          workerId: w.workerId,
          routers: w.routerCount,
          peers: w.peerCount,
          producers: w.producerCount,
          consumers: w.consumerCount,
          cpuLoad: w.cpuLoad,
          draining: w.draining,
        })),
        error: null,
      };
    } catch (err) {
      return { address, nodeId: null, workers: [], error: err instanceof Error ? err.message : String(err) };
    }
  }

  return {
    async check() {
      const [roles, addresses] = await Promise.all([
        Promise.all(sources.roles.map((r) => readiness(r.role, r.url, sources.timeoutMs))),
        sources.sfuWorkers().catch(() => []),
      ]);
      const sfu = await Promise.all([...new Set(addresses)].sort().map(load));
      return { checkedAt: new Date().toISOString(), roles, sfu };
    },
    close() {
      clients.close();
    },
  };
}

/**
 * Whether the caller is the superadmin, asked of auth with the caller's own credential (the session cookie
 * or a bearer token): the gateway keeps no session state of its own.
 */
export async function requireSuperadmin(
  authBase: string,
  headers: { cookie?: string | undefined; authorization?: string | undefined; requestId: string },
  timeoutMs: number,
): Promise<void> {
  const sent: Record<string, string> = { accept: 'application/json', 'x-request-id': headers.requestId };
  if (headers.cookie !== undefined) sent['cookie'] = headers.cookie;
  if (headers.authorization !== undefined) sent['authorization'] = headers.authorization;
  let response: Response;
  try {
    response = await fetch(new URL('/api/auth/me', authBase), {
      headers: sent,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new AppError(ErrorCode.UNAVAILABLE, 'The auth service cannot be reached to check who is asking', {
      cause: err,
    });
  }
  if (response.status === 401) {
    await response.body?.cancel();
    throw AppError.unauthenticated();
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new AppError(ErrorCode.UNAVAILABLE, `The auth service answered HTTP ${response.status}`);
  }
  const me = (await response.json()) as { user?: { superadmin?: unknown } };
  if (me.user?.superadmin !== true) {
    throw new AppError(ErrorCode.PERMISSION_DENIED, 'Requires platform:admin', {
      reason: 'missing_permission',
    });
  }
}
