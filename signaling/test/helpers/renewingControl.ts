// A stand-in for control's gRPC ControlService that accepts room events and renews join tokens the way
// control does (same claims, a new lifetime, signed with the test stack's key). The real implementation is
// tested in platform/control; signaling's tests use this to exercise renewal without the whole platform.
import { createGrpcServer, createMetrics } from '@origo/kit';
import { ControlServiceService } from '@origo/proto/control-rpc';
import { createJoinTokenVerifier, localKeySource, signJoinToken } from '../../src/index.js';
import { logger } from './harness.js';

export interface RenewingControl {
  address: string;
  /** Identities whose token was renewed, in order. */
  renewals: string[];
  stop(): Promise<void>;
}

/** Listens on a free loopback port; `key()` returns the stack's private JWK once the stack exists. */
export async function startRenewingControl(key: () => string, ttlSeconds: number): Promise<RenewingControl> {
  const renewals: string[] = [];
  const server = createGrpcServer({
    service: 'control-test',
    logger,
    metrics: createMetrics('control-test', { defaultMetrics: false }),
  });
  server.add(ControlServiceService, {
    reportRoomEvent: () => Promise.resolve({ applied: true, meetingState: 'live' }),
    getMeeting: () => Promise.reject(new Error('not used by these tests')),
    refreshJoinToken: async (request) => {
      const privateJwk = key();
      const claims = await createJoinTokenVerifier({ keys: localKeySource(privateJwk) }).verify(
        request.token,
        { allowExpired: true },
      );
      renewals.push(claims.identity);
      const token = await signJoinToken({
        privateJwk,
        identity: claims.identity,
        name: claims.name,
        room: claims.room,
        grants: claims.grants,
        ttlSeconds,
      });
      return { token, expiresAtMs: Date.now() + ttlSeconds * 1000 };
    },
  });
  const port = await server.listen('127.0.0.1', 0);
  return { address: `127.0.0.1:${port}`, renewals, stop: () => server.shutdown(500) };
}
