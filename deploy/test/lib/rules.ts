// The Prometheus rule groups of deploy/observability, read from the PrometheusRule the cluster gets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEPLOY_DIR } from './paths.js';

export const RULES_FILE = join(DEPLOY_DIR, 'observability', 'k8s', 'prometheus-rules.yaml');

export interface RuleGroup {
  name: string;
  rules: Array<{ record?: string; alert?: string; expr: string; labels?: Record<string, string> }>;
}

export function ruleGroups(): RuleGroup[] {
  const doc = parse(readFileSync(RULES_FILE, 'utf8')) as { spec?: { groups?: RuleGroup[] } };
  if (!doc.spec?.groups) throw new Error(`${RULES_FILE} has no spec.groups`);
  return doc.spec.groups;
}
