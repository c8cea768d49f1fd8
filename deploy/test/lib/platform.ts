// Starts every role of the launcher's catalogue in this process, as `npm start` does (port 0, a fresh data
// folder, one in-process SFU worker), and lists each role's /metrics URL.
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROLES, runLauncher } from '@origo/launcher';

export interface StartedPlatform {
  roles: string[];
  /** The gateway's address (the entry a user opens). */
  url: string | undefined;
  metricsUrls: Array<{ role: string; url: string }>;
  stop(): Promise<void>;
}

export async function startPlatform(extraEnv: Record<string, string> = {}): Promise<StartedPlatform> {
  const data = await mkdtemp(join(tmpdir(), 'origo-deploy-metrics-'));
  const lines: string[] = [];
  // A start that throws (or a hook deadline) must not leave the data folder behind.
  const result = await runLauncher({
    roles: ROLES,
    argv: ['start'],
    env: {
      PATH: process.env.PATH,
      ORIGO_DATA: data,
      LOG_LEVEL: 'warn',
      PORT: '0',
      HOST: '127.0.0.1',
      SIGNALING_PORT: '0',
      SFU_WORKERS: '0',
      ...extraEnv,
    },
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    exit: (code) => {
      if (code !== 0) lines.push(`launcher exit ${code}`);
    },
    signals: new EventEmitter(),
  }).catch(async (err: unknown) => {
    await rm(data, { recursive: true, force: true });
    throw err;
  });
  if (result === undefined) {
    await rm(data, { recursive: true, force: true });
    throw new Error(`platform did not start:\n${lines.join('\n')}`);
  }
  const metricsUrls: StartedPlatform['metricsUrls'] = [];
  for (const role of result.running) {
    const explicit = role.endpoints['metrics'];
    const urls = explicit
      ? explicit.split(',').filter(Boolean)
      : role.endpoints['http']
        ? [`${role.endpoints['http']}/metrics`]
        : [];
    for (const url of urls) metricsUrls.push({ role: role.name, url });
  }
  return {
    roles: result.running.map((r) => r.name),
    url: result.running.find((r) => r.endpoints['url'])?.endpoints['url'],
    metricsUrls,
    stop: async () => {
      await result.stop();
      await rm(data, { recursive: true, force: true });
    },
  };
}

/** Metric families in Prometheus text, with their TYPE. */
export function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], m[2]);
  }
  return out;
}
