import { AppError, ErrorCode } from '@origo/kit';
import { ORG_ROLES, type Principal } from './rbac.js';

/** Headers that may carry a credential: the session cookie or `Authorization: Bearer <access token>`. */
export interface CredentialHeaders {
  cookie?: string | undefined;
  authorization?: string | undefined;
}

/** Resolves a caller's credential to the principal, or null when there is none or it is not valid. */
export interface AuthClient {
  resolve(headers: CredentialHeaders): Promise<Principal | null>;
}

/** Single-machine mode: ask the auth service in the same process. */
export function createInProcessAuthClient(service: {
  resolvePrincipal(headers: CredentialHeaders): Promise<Principal | null>;
}): AuthClient {
  return {
    async resolve(headers) {
      try {
        return await service.resolvePrincipal(headers);
      } catch (err) {
        if (err instanceof AppError && err.code === ErrorCode.UNAUTHENTICATED) return null;
        throw err;
      }
    },
  };
}

/**
 * Distributed mode: ask the auth service over HTTP (`GET /api/auth/principal`). Services that only need
 * bearer tokens should prefer `createAccessTokenVerifier`, which needs no call per request.
 */
export function createHttpAuthClient(options: {
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): AuthClient {
  const doFetch = options.fetch ?? fetch;
  const url = new URL('/api/auth/principal', options.baseUrl).href;
  return {
    async resolve(headers) {
      if (!headers.cookie && !headers.authorization) return null;
      const sent: Record<string, string> = { accept: 'application/json' };
      if (headers.cookie) sent['cookie'] = headers.cookie;
      if (headers.authorization) sent['authorization'] = headers.authorization;
      let response: Response;
      try {
        response = await doFetch(url, {
          headers: sent,
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        });
      } catch (err) {
        throw new AppError(ErrorCode.UNAVAILABLE, 'The auth service is unreachable', { cause: err });
      }
      if (response.status === 401) return null;
      if (!response.ok) throw await unavailable(response);
      return parsePrincipal(await response.json());
    },
  };
}

/**
 * Auth could not say who the caller is. When auth itself is unavailable (its database is down), its
 * problem detail and Retry-After are passed on, so the caller learns why and when to try again.
 */
async function unavailable(response: Response): Promise<AppError> {
  let detail: string | undefined;
  if (
    response.status === 503 &&
    /^application\/problem\+json/.test(response.headers.get('content-type') ?? '')
  ) {
    const doc = (await response.json().catch(() => undefined)) as { detail?: unknown } | undefined;
    if (typeof doc?.detail === 'string' && doc.detail.length <= 300) detail = doc.detail;
  } else {
    await response.body?.cancel().catch(() => {});
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return new AppError(
    ErrorCode.UNAVAILABLE,
    detail === undefined
      ? `The auth service answered HTTP ${response.status}`
      : `The auth service is unavailable: ${detail}`,
    Number.isInteger(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {},
  );
}

function parsePrincipal(value: unknown): Principal {
  const p = value as Partial<Principal>;
  const valid =
    typeof p.userId === 'string' &&
    typeof p.sessionId === 'string' &&
    typeof p.superadmin === 'boolean' &&
    Array.isArray(p.memberships) &&
    p.memberships.every(
      (m) => typeof m.orgId === 'string' && (ORG_ROLES as readonly string[]).includes(m.role),
    );
  if (!valid) throw new AppError(ErrorCode.INTERNAL, 'The auth service returned an unexpected principal');
  return value as Principal;
}
