// Organizations belong to auth: before billing keeps a subscription for an organization id it asks auth
// whether the organization exists, so a typo cannot create a subscription nobody can ever use.
import { AppError, ErrorCode } from '@origo/kit';
import type { CredentialHeaders } from '@origo/auth/client';

export interface Organizations {
  /**
   * The organization as auth knows it, asked with the caller's own credentials: null when auth does not
   * know `orgId`; UNAVAILABLE when auth does not answer.
   */
  lookup(orgId: string, credentials: CredentialHeaders): Promise<{ id: string; name: string } | null>;
}

/** How long billing waits for auth before refusing the change. */
const AUTH_TIMEOUT_MS = 5000;

const unreachable = (why: string, cause?: unknown) =>
  new AppError(
    ErrorCode.UNAVAILABLE,
    `Billing could not ask the auth service whether the organization exists (${why}), so nothing was ` +
      'changed; try again once auth is back',
    { reason: 'auth_unavailable', cause },
  );

/**
 * Asks auth's `GET /api/orgs/:orgId` with the caller's cookie or bearer token (the superadmin, who may
 * read every organization): 200 is the organization, 404 null; anything else, or no answer, is UNAVAILABLE.
 */
export function createHttpOrganizations(options: {
  authUrl: () => Promise<string>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): Organizations {
  const doFetch = options.fetch ?? fetch;
  return {
    async lookup(orgId, credentials) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (credentials.cookie) headers['cookie'] = credentials.cookie;
      if (credentials.authorization) headers['authorization'] = credentials.authorization;
      let response: Response;
      try {
        const url = new URL(`/api/orgs/${encodeURIComponent(orgId)}`, await options.authUrl());
        response = await doFetch(url, {
          headers,
          signal: AbortSignal.timeout(options.timeoutMs ?? AUTH_TIMEOUT_MS),
        });
      } catch (err) {
        throw unreachable('no answer', err);
      }
      if (response.status === 200) {
        const body = (await response.json().catch(() => null)) as { id?: unknown; name?: unknown } | null;
        if (typeof body?.name !== 'string') throw unreachable('an answer without a name');
        return { id: orgId, name: body.name };
      }
      await response.body?.cancel().catch(() => {});
      if (response.status === 404) return null;
      throw unreachable(`HTTP ${response.status}`);
    },
  };
}
