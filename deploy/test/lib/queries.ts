// Every PromQL query the deployment depends on: rules, dashboards, rollout analyses, autoscaling.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEPLOY_DIR } from './paths.js';
import { ruleGroups } from './rules.js';

export interface Usage {
  where: string;
  expr: string;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Queries of Argo Rollouts AnalysisTemplates (provider prometheus) anywhere under deploy/. */
function analysisQueries(): Usage[] {
  const out: Usage[] = [];
  for (const file of yamlFiles(DEPLOY_DIR).filter((f) => !f.includes('node_modules'))) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const obj = doc.toJS() as {
        kind?: string;
        metadata?: { name?: string };
        spec?: { metrics?: Array<{ name?: string; provider?: { prometheus?: { query?: string } } }> };
      } | null;
      if (obj?.kind !== 'AnalysisTemplate' && obj?.kind !== 'ClusterAnalysisTemplate') continue;
      for (const m of obj.spec?.metrics ?? []) {
        const query = m.provider?.prometheus?.query;
        if (query) out.push({ where: `${file}: ${obj.metadata?.name}/${m.name}`, expr: query });
      }
    }
  }
  return out;
}

export function dashboardQueries(): Usage[] {
  const dir = join(DEPLOY_DIR, 'observability', 'grafana', 'dashboards');
  const out: Usage[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      panels: Array<{ title: string; datasource?: { type?: string }; targets?: Array<{ expr: string }> }>;
      templating: { list: Array<{ query?: string; type: string }> };
    };
    for (const panel of dashboard.panels)
      if (panel.datasource?.type === 'prometheus')
        for (const t of panel.targets ?? []) out.push({ where: `${file}: ${panel.title}`, expr: t.expr });
    for (const v of dashboard.templating.list) {
      const inner = v.type === 'query' ? /^label_values\((.*),\s*\w+\)$/.exec(v.query ?? '')?.[1] : undefined;
      if (inner) out.push({ where: `${file}: variable`, expr: inner });
    }
  }
  return out;
}

export function allQueries(): Usage[] {
  const rules = ruleGroups().flatMap((g) =>
    g.rules.map((r) => ({ where: `prometheus-rules.yaml: ${r.record ?? r.alert}`, expr: r.expr })),
  );
  return [...rules, ...dashboardQueries(), ...analysisQueries()];
}

/** Names the rules themselves record (origo:...); they are not scraped. */
export function recordedNames(): Set<string> {
  return new Set(ruleGroups().flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
}
