// Who calls a meeting-scoped API of another service (chat, recording), and whether they host the meeting.
//
// - A participant of the meeting: `Authorization: Bearer <join token>` (the token the client joined with,
//   kept fresh by signaling's token_refresh). It names the meeting and the host grant; guests have nothing
//   else.
// - A signed-in user (session cookie or access JWT): the control service decides, as for every meeting
//   API, by answering `GET /api/meetings/:id` with the caller's own credentials (meeting:read in the
//   meeting's organization). Hosts are the meeting's host and org admins, as control's assertManages.
import type { FastifyRequest } from 'fastify';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AppError, ErrorCode } from '@origo/kit';
import { roleIn, type PrincipalResolver } from '@origo/auth/client';
import type { Bus, BusLogger } from '@origo/kit/bus';
import { createRemoteAccess, type RemoteAccess, type RemoteAuthOptions } from './access.js';
import {
  JOIN_TOKEN_AUDIENCE,
  JOIN_TOKEN_ISSUER,
  JOIN_TOKEN_JWKS_PATH,
  joinTokenClaimsSchema,
} from './contracts.js';

/** Someone calling about one meeting. */
export interface MeetingCaller {
  /** Join token `sub` or user id: the same identity the participant has in the room. */
  identity: string;
  /** Hosts the meeting (the join token's host grant, the meeting's host, an org admin, a superadmin). */
  host: boolean;
}

/** Resolves the caller of a request about `meetingId`, or throws 401/403/404. */
export type CallerResolver = (request: FastifyRequest, meetingId: string) => Promise<MeetingCaller>;

/** How a signed-in user's access to a meeting is checked: control's answer to GET /api/meetings/:id. */
export type MeetingLookup = (
  meetingId: string,
  headers: { authorization?: string | undefined; cookie?: string | undefined },
) => Promise<{ orgId: string; hostId: string }>;

export function controlMeetingLookup(controlUrl: () => Promise<string>): MeetingLookup {
  return async (meetingId, headers) => {
    const forwarded: Record<string, string> = { accept: 'application/json' };
    if (headers.authorization !== undefined) forwarded['authorization'] = headers.authorization;
    if (headers.cookie !== undefined) forwarded['cookie'] = headers.cookie;
    let response: Response;
    try {
      response = await fetch(new URL(`/api/meetings/${encodeURIComponent(meetingId)}`, await controlUrl()), {
        headers: forwarded,
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      throw new AppError(ErrorCode.UNAVAILABLE, 'The meeting service is not reachable; retry shortly', {
        cause: err,
      });
    }
    if (response.ok) {
      const body = (await response.json()) as { org_id?: unknown; host_id?: unknown };
      if (typeof body.org_id !== 'string' || typeof body.host_id !== 'string')
        throw AppError.internal('control answered a meeting without org_id/host_id');
      return { orgId: body.org_id, hostId: body.host_id };
    }
    await response.body?.cancel();
    if (response.status === 401) throw AppError.unauthenticated();
    if (response.status === 403) throw AppError.forbidden('You may not read this meeting');
    // Control answers 400 for an id that cannot be a meeting's: to the caller it is a meeting that does not exist.
    if (response.status === 404 || response.status === 400) throw AppError.notFound('Meeting');
    throw new AppError(ErrorCode.UNAVAILABLE, `The meeting service answered HTTP ${response.status}`);
  };
}

export function createCallerResolver(options: {
  /** Public keys of the join-token key (the platform's Ed25519 JWK without `d`, or its JWKS). */
  joinTokenKeys: JWTVerifyGetKey;
  resolvePrincipal: PrincipalResolver;
  meetingLookup: MeetingLookup;
}): CallerResolver {
  return async (request, meetingId) => {
    const authorization = request.headers.authorization;
    const bearer =
      authorization === undefined ? undefined : /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization)?.[1];
    if (bearer !== undefined && isJoinToken(bearer)) {
      const claims = await verifyJoinToken(bearer, options.joinTokenKeys);
      if (claims.room !== meetingId) throw AppError.forbidden('The join token is for another meeting');
      return { identity: claims.sub, host: claims.grants.host };
    }
    const principal = await options.resolvePrincipal(request);
    if (principal === null) throw AppError.unauthenticated('Sign in or use the join token of this meeting');
    const meeting = await options.meetingLookup(meetingId, {
      authorization: request.headers.authorization,
      cookie: request.headers.cookie,
    });
    const host =
      principal.superadmin ||
      roleIn(principal, meeting.orgId) === 'admin' ||
      meeting.hostId === principal.userId;
    return { identity: principal.userId, host };
  };
}

/** Join tokens carry the signaling audience; access JWTs do not. The signature is checked afterwards. */
function isJoinToken(token: string): boolean {
  try {
    const aud = decodeJwt(token).aud;
    return aud === JOIN_TOKEN_AUDIENCE || (Array.isArray(aud) && aud.includes(JOIN_TOKEN_AUDIENCE));
  } catch {
    return false;
  }
}

async function verifyJoinToken(token: string, keys: JWTVerifyGetKey) {
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: ['EdDSA'],
      audience: JOIN_TOKEN_AUDIENCE,
      issuer: JOIN_TOKEN_ISSUER,
    });
    const claims = joinTokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw AppError.unauthenticated('Join token claims invalid');
    return claims.data;
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof errors.JWTExpired) throw AppError.unauthenticated('Join token expired');
    throw AppError.unauthenticated('Join token invalid');
  }
}

/**
 * The join-token public keys control serves (its current key and, during a rotation, the previous one),
 * fetched on first use and cached; a failed fetch is retried on the next request.
 */
export function joinTokenKeys(url: () => Promise<string>): JWTVerifyGetKey {
  let jwks: Promise<JWTVerifyGetKey> | undefined;
  const load = (): Promise<JWTVerifyGetKey> =>
    (jwks ??= url().then((u) =>
      createRemoteJWKSet(new URL(u), { timeoutDuration: 3000, cooldownDuration: 5000, cacheMaxAge: 600_000 }),
    ));
  return async (header, token) => {
    const getKey = await load().catch((err: unknown) => {
      jwks = undefined;
      throw err;
    });
    return getKey(header, token);
  };
}

/**
 * The caller resolver of a role that runs apart from auth and control (chat, recording): signed-in callers
 * through `resolvePrincipal` (from `createRemoteAccess`, which refuses ended sessions), join tokens against
 * control's join-token JWKS (or `joinTokenJwksUrl`), meetings looked up at control.
 */
export function createRemoteCallerResolver(options: {
  resolvePrincipal: PrincipalResolver;
  controlUrl: () => Promise<string>;
  joinTokenJwksUrl?: string | undefined;
}): CallerResolver {
  const { controlUrl } = options;
  return createCallerResolver({
    joinTokenKeys: joinTokenKeys(
      async () => options.joinTokenJwksUrl ?? `${await controlUrl()}${JOIN_TOKEN_JWKS_PATH}`,
    ),
    resolvePrincipal: options.resolvePrincipal,
    meetingLookup: controlMeetingLookup(controlUrl),
  });
}

/** A meeting-scoped service's whole access check: who calls, and who calls about which meeting. */
export interface RemoteMeetingAccess extends RemoteAccess {
  resolveCaller: CallerResolver;
}

/**
 * `createRemoteAccess` (access tokens and sessions, ended sessions refused) and the meeting callers over
 * it: what chat and recording verify, in one call so both check the same way.
 */
export async function createRemoteMeetingAccess(
  options: RemoteAuthOptions & {
    bus: Bus;
    logger?: BusLogger;
    controlUrl: () => Promise<string>;
    joinTokenJwksUrl?: string | undefined;
  },
): Promise<RemoteMeetingAccess> {
  const access = await createRemoteAccess(options);
  return {
    ...access,
    resolveCaller: createRemoteCallerResolver({
      resolvePrincipal: access.resolvePrincipal,
      controlUrl: options.controlUrl,
      joinTokenJwksUrl: options.joinTokenJwksUrl,
    }),
  };
}
