// Every metric a rule, dashboard or rollout analysis reads must be exported by something that runs:
// a role of the platform (started here in-process, as `npm start` runs them), the TURN probe (started
// as its own process), or an infrastructure exporter named below.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIR } from './lib/paths.js';
import { families, startPlatform, type StartedPlatform } from './lib/platform.js';
import { metricNames } from './lib/promql.js';
import { allQueries, recordedNames } from './lib/queries.js';

/** Exported by the cluster's standard exporters, not by Origo: kube-prometheus-stack installs them. */
const INFRASTRUCTURE = new Map<string, string>([
  ['up', 'Prometheus itself (scrape health)'],
  ['kube_pod_container_status_restarts_total', 'kube-state-metrics'],
  ['kube_pod_container_status_last_terminated_reason', 'kube-state-metrics'],
  ['container_network_transmit_bytes_total', 'kubelet cAdvisor'],
  ['container_network_receive_bytes_total', 'kubelet cAdvisor'],
]);

/**
 * Metrics of roles being built now, named as the dashboards and alerts expect them (none at the moment).
 * Add to this list while a role is being built: the last test fails once a role exports one of them, so
 * the entry is removed (or the name corrected) at merge.
 */
const PENDING_ROLES = new Map<string, string>();

const HISTOGRAM_SUFFIX = /_(bucket|count|sum)$/;

async function scrape(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}

/** Runs the TURN probe CLI against a port nobody answers; its /metrics exists all the same. */
async function startProbe(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(DEPLOY_DIR, 'src/turn/probe-cli.ts')],
    {
      cwd: DEPLOY_DIR,
      env: {
        PATH: process.env.PATH,
        TURN_PROBE_SERVER: '127.0.0.1:9',
        TURN_SECRET: 'metrics-test-secret-0123456789',
        TURN_PROBE_PORT: '0',
        TURN_PROBE_HOST: '127.0.0.1',
        TURN_PROBE_INTERVAL_SECONDS: '3600',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('turn probe did not report its URL within 30 s')),
      30_000,
    );
    child.once('exit', (code) => reject(new Error(`turn probe exited with ${code}`)));
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { url?: string };
        if (entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    });
  });
  return { url, child };
}

describe('metrics used by rules, dashboards and analyses', () => {
  let platform: StartedPlatform | undefined;
  let probe: { url: string; child: ChildProcess } | undefined;
  const exported = new Map<string, { type: string; source: string }>();

  beforeAll(async () => {
    platform = await startPlatform();
    for (const { role, url } of platform.metricsUrls)
      for (const [name, type] of families(await scrape(url))) exported.set(name, { type, source: role });
    probe = await startProbe();
    for (const [name, type] of families(await scrape(`${probe.url}/metrics`)))
      exported.set(name, { type, source: 'turn-probe' });
  });

  afterAll(async () => {
    if (probe && probe.child.exitCode === null) {
      const exited = new Promise((resolve) => probe?.child.once('exit', resolve));
      probe.child.kill('SIGTERM');
      await exited;
    }
    await platform?.stop();
  });

  it('scrapes every role of the launcher', () => {
    expect(platform?.roles).toEqual(
      expect.arrayContaining(['auth', 'control', 'sfu', 'signaling', 'gateway']),
    );
    expect(new Set(platform?.metricsUrls.map((m) => m.role))).toEqual(new Set(platform?.roles));
  });

  it('finds every metric name exported by a role, the probe, or a named exporter', () => {
    const recorded = recordedNames();
    const missing: string[] = [];
    for (const { where, expr } of allQueries()) {
      for (const name of metricNames(expr)) {
        if (recorded.has(name) || INFRASTRUCTURE.has(name) || PENDING_ROLES.has(name)) continue;
        const base = name.replace(HISTOGRAM_SUFFIX, '');
        const family =
          exported.get(name) ?? (exported.get(base)?.type === 'histogram' ? exported.get(base) : undefined);
        if (!family) missing.push(`${name} (${where})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists as pending only metrics that no running role exports yet', () => {
    const nowExported = [...PENDING_ROLES.keys()].filter((name) => exported.has(name));
    expect(nowExported, 'remove these from PENDING_ROLES: the role exports them now').toEqual([]);
  });

  it('would catch a dashboard or rule reading a metric nobody exports', () => {
    const names = metricNames('sum(rate(origo_sfu_packetz_total[5m]))');
    expect(names).toEqual(['origo_sfu_packetz_total']);
    expect(exported.has('origo_sfu_packetz_total')).toBe(false);
  });
});
