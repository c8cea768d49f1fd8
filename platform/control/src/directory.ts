// Who belongs to an organization, as auth answers it (`GET /api/orgs/:orgId/directory`). Control asks with
// the caller's own credentials, so auth decides again whether the caller may read that organization.
import { AppError, ErrorCode } from '@origo/kit';
import type { CredentialHeaders } from '@origo/auth/client';
import { z } from 'zod';

export interface OrgMember {
  userId: string;
  displayName: string;
}

/** The members of `orgId`, asked as the caller whose credentials are given. */
export type MemberDirectory = (orgId: string, credentials: CredentialHeaders) => Promise<OrgMember[]>;

const answerSchema = z.object({
  items: z.array(z.object({ user_id: z.string().min(1), display_name: z.string() })),
});

export function authMemberDirectory(authUrl: () => Promise<string>): MemberDirectory {
  return async (orgId, credentials) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credentials.authorization !== undefined) headers['authorization'] = credentials.authorization;
    if (credentials.cookie !== undefined) headers['cookie'] = credentials.cookie;
    const url = new URL(`/api/orgs/${encodeURIComponent(orgId)}/directory`, await authUrl());
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    } catch (err) {
      throw new AppError(ErrorCode.UNAVAILABLE, 'The auth service is unreachable', { cause: err });
    }
    if (!response.ok) {
      await response.body?.cancel();
      if (response.status === 401) throw AppError.unauthenticated();
      if (response.status === 403) throw AppError.forbidden('You may not read this organization');
      if (response.status === 404) throw AppError.notFound('Organization');
      throw new AppError(ErrorCode.UNAVAILABLE, `The auth service answered HTTP ${response.status}`);
    }
    const answer = answerSchema.safeParse(await response.json());
    if (!answer.success) throw AppError.internal('auth answered a directory of an unexpected shape');
    return answer.data.items.map((m) => ({ userId: m.user_id, displayName: m.display_name }));
  };
}
