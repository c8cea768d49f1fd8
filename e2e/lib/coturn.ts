// Debian's coturn for the browser tests, started by the deploy suite's runner (@origo/deploy) with the
// committed deploy/coturn configuration, and the platform settings that hand TURN to the browsers.
import { spawnSync } from 'node:child_process';
import { startCoturn, type Coturn } from '@origo/deploy';

export type { Coturn };

/** Why coturn cannot run here, or undefined when turnserver and openssl are installed. */
export function coturnMissing(): string | undefined {
  const missing = ['turnserver', 'openssl'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  );
  if (missing.length === 0) return undefined;
  return `${missing.join(' and ')} not installed (apt-get install -y coturn openssl); .ci/run installs them`;
}

/**
 * The reason to skip a TURN test: only outside CI. In CI (CI set, as .ci/run does) the test runs and
 * fails on a missing coturn instead of passing silently.
 */
export function coturnSkipReason(): string | undefined {
  const missing = coturnMissing();
  if (missing === undefined || process.env['CI']) return undefined;
  return `skipped: ${missing}`;
}

/**
 * coturn with deploy/coturn/turnserver.conf. That file refuses to relay to loopback and private
 * addresses, and these machines may send only to loopback, so the SFU of a test listens on 127.0.0.1: it
 * is allowed back the way an environment allows its SFU's private address (allowed-peer-ip, checked
 * before the denials), plus allow-loopback-peers, without which coturn refuses 127.0.0.0/8 peers
 * whatever else is allowed (403 Forbidden IP on CreatePermission). Nothing else is opened.
 */
export async function startTurnServer(): Promise<Coturn> {
  const missing = coturnMissing();
  if (missing !== undefined) throw new Error(`cannot start coturn: ${missing}`);
  return startCoturn({ extraConfig: ['allow-loopback-peers', 'allowed-peer-ip=127.0.0.1'] });
}

/**
 * What the platform needs to send browsers through this TURN server: its URL and the REST secret
 * (signaling signs each participant's credentials with it). The SFU announces 127.0.0.1 so its
 * candidates are the one address coturn may relay to, whatever interfaces this host has.
 */
export function turnStackEnv(coturn: Coturn): Record<string, string> {
  return {
    TURN_URLS: `turn:127.0.0.1:${coturn.port}?transport=udp`,
    TURN_SECRET: coturn.secrets.current,
    SFU_ANNOUNCED_ADDRESSES: '127.0.0.1',
  };
}
