// The wrapper every service that verifies access tokens by itself (control, billing, notification, chat,
// recording) puts around its principal resolver: a principal of a session auth announced as ended is
// refused with 401 session_ended; others, and anonymous requests, pass.
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { AppError } from '@origo/kit';
import { refuseEndedSessions } from '../src/access.js';

const request = {} as FastifyRequest;
const principalOf = (sessionId: string) =>
  ({ userId: 'usr_1', sessionId }) as unknown as NonNullable<
    Awaited<ReturnType<Parameters<typeof refuseEndedSessions>[0]>>
  >;

describe('refuseEndedSessions', () => {
  const ended = new Set(['ses_ended']);
  const revocations = { isRevoked: (sid: string) => ended.has(sid) };

  it('refuses a principal of an ended session as UNAUTHENTICATED', async () => {
    const resolve = refuseEndedSessions(async () => principalOf('ses_ended'), revocations);
    const error = await resolve(request).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('UNAUTHENTICATED');
    expect((error as AppError).message).toBe('The session behind this token has ended');
  });

  it('lets principals of live sessions and anonymous requests through', async () => {
    await expect(
      refuseEndedSessions(async () => principalOf('ses_live'), revocations)(request),
    ).resolves.toMatchObject({
      sessionId: 'ses_live',
    });
    await expect(refuseEndedSessions(async () => null, revocations)(request)).resolves.toBeNull();
  });
});
