// The whole platform in this process, as `npm start` runs it: every role of the launcher (one in-process
// SFU worker), the gateway serving the built web client, on a free port with a fresh data
// folder. The launcher's catalogue is the lead's to wire; the roles are started here the same way.
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROLES, runLauncher } from '@origo/launcher';
import { freePort } from '@origo/kit/testing';

export interface Stack {
  url: string;
  stop(): Promise<void>;
}

export const CLIENT_DIST = fileURLToPath(new URL('../../client/dist', import.meta.url));

/**
 * Starts the platform; `host` is the address the gateway listens on and the browsers open (another
 * address than loopback lets a browser in a network namespace reach it, see netns.ts).
 */
export async function startStack(extraEnv: Record<string, string> = {}, host = '127.0.0.1'): Promise<Stack> {
  const data = await mkdtemp(join(tmpdir(), 'origo-e2e-'));
  const port = await freePort({ host });
  const url = `http://${host}:${port}`;
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    ORIGO_DATA: data,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    PORT: String(port),
    HOST: host,
    ORIGO_PUBLIC_URL: url,
    CLIENT_DIST,
    SFU_WORKERS: '0',
    // Two browsers on one machine share an address: the per-IP limits are for the public internet.
    RATE_LIMIT_PER_IP: '100000',
    RATE_LIMIT_PER_USER: '100000',
    ...extraEnv,
  };
  const lines: string[] = [];
  const result = await runLauncher({
    // Every role, as `npm start` runs them: a missing one (billing, notification) changes what the others
    // do (control waits for billing's address at every join; auth's and control's mail relays retry).
    roles: ROLES,
    argv: ['start'],
    env,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    exit: (code) => {
      if (code !== 0) lines.push(`launcher exit ${code}`);
    },
    signals: new EventEmitter(),
  });
  if (result === undefined) {
    await rm(data, { recursive: true, force: true });
    throw new Error(`platform did not start:\n${lines.join('\n')}`);
  }
  return {
    url,
    stop: async () => {
      await result.stop();
      await rm(data, { recursive: true, force: true });
    },
  };
}
