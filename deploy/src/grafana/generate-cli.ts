// Writes deploy/observability/grafana/dashboards/<service>.json from dashboards.ts.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVICES, dashboardJson } from './dashboards.js';

const dir = fileURLToPath(new URL('../../observability/grafana/dashboards/', import.meta.url));
for (const d of SERVICES) {
  writeFileSync(`${dir}${d.service}.json`, `${JSON.stringify(dashboardJson(d), null, 2)}\n`);
  console.error(`wrote ${d.service}.json`);
}
