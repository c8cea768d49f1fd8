// The committed dashboards are what src/grafana/dashboards.ts generates, one per service, each with the
// rows the issue asks for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICES, dashboardJson } from '../src/grafana/dashboards.js';
import { DEPLOY_DIR } from './lib/paths.js';

const committed = (service: string) =>
  JSON.parse(
    readFileSync(join(DEPLOY_DIR, 'observability', 'grafana', 'dashboards', `${service}.json`), 'utf8'),
  ) as {
    panels: Array<{ type: string; title: string }>;
  };

describe('Grafana dashboards', () => {
  it.each(SERVICES.map((s) => s.service))('%s.json matches the generator (npm run dashboards)', (service) => {
    const generated = dashboardJson(SERVICES.find((s) => s.service === service)!);
    expect(committed(service)).toEqual(generated);
  });

  it.each(['gateway', 'auth', 'control', 'signaling', 'sfu', 'chat', 'notification', 'recording', 'billing'])(
    '%s shows errors, latency, active sessions, bandwidth, CPU and memory, sockets and logs',
    (service) => {
      const rows = committed(service)
        .panels.filter((p) => p.type === 'row')
        .map((p) => p.title);
      expect(rows).toEqual([
        'Errors',
        'Latency',
        'Active sessions',
        'Bandwidth',
        'CPU and memory',
        'Sockets',
        'Logs',
      ]);
    },
  );
});
