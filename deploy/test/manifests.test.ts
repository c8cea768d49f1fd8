// Every overlay renders with kustomize, every object validates against the Kubernetes (and CRD) schemas,
// and the policy holds; a deliberately bad manifest shows that the policy catches what it should.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyViolations } from '../src/k8s/policy.js';
import { OVERLAYS, parseManifests, renderOverlay } from '../src/k8s/render.js';
import { schemaProblems, type K8sObject } from '../src/k8s/schema.js';
import { DEPLOY_DIR, REPO_ROOT } from './lib/paths.js';
import { missingTools } from './lib/tools.js';

const ROLES = [
  'auth',
  'control',
  'sfu',
  'signaling',
  'gateway',
  'chat',
  'notification',
  'recording',
  'billing',
];
const rendered = new Map<string, K8sObject[]>();
const render = (overlay: string): K8sObject[] => {
  let objects = rendered.get(overlay);
  if (!objects) {
    objects = renderOverlay(join(DEPLOY_DIR, 'k8s', 'overlays', overlay));
    rendered.set(overlay, objects);
  }
  return objects;
};
/**
 * The settings a role refuses to start without when it runs alone (not all-in-one), as its role.ts
 * states them: `ConfigError('X', 'is required but not set')`, the gateway's `pick('X', ...)`, an
 * "Invalid configuration: X is required" error, or a warning "X is not set: ..." at start.
 */
function requiredSettings(role: string): string[] {
  const candidates = [
    join(REPO_ROOT, 'platform', role, 'src', 'role.ts'),
    join(REPO_ROOT, role, 'src', 'role.ts'),
  ];
  const file = candidates.find((f) => existsSync(f));
  if (!file) return [];
  const source = readFileSync(file, 'utf8');
  const names = new Set<string>();
  const patterns = [
    /ConfigError\(\s*'([A-Z][A-Z0-9_]*)',\s*'is required/g,
    /\bpick\(\s*'([A-Z][A-Z0-9_]*)'/g,
    /Invalid configuration: ([A-Z][A-Z0-9_]*) is required/g,
    // Settings whose absence a role only warns about (mail would wait forever) count as required here.
    /'([A-Z][A-Z0-9_]*) is not set: /g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) names.add(m[1]!);
  return [...names].sort();
}

const named = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name);

describe.skipIf(missingTools('kubectl') !== undefined).each(OVERLAYS)('overlay %s', (overlay) => {
  it('renders with kustomize', () => {
    expect(render(overlay).length).toBeGreaterThan(50);
  });

  it('validates every object against its schema', async () => {
    const problems = (await Promise.all(render(overlay).map(schemaProblems))).flat();
    expect(problems).toEqual([]);
  });

  it('holds the policy: probes, limits, non-root, read-only root, no host network, pinned images', () => {
    expect(policyViolations(render(overlay))).toEqual([]);
  });

  it('runs every role with a Service, a PodDisruptionBudget, an autoscaler and a ServiceMonitor', () => {
    const objects = render(overlay);
    for (const role of ROLES) {
      expect(named(objects, 'Deployment', role), `${role} Deployment`).toBeDefined();
      expect(named(objects, 'Service', role), `${role} Service`).toBeDefined();
      expect(named(objects, 'PodDisruptionBudget', role), `${role} PDB`).toBeDefined();
      expect(named(objects, 'HorizontalPodAutoscaler', role), `${role} HPA`).toBeDefined();
      expect(named(objects, 'ServiceMonitor', role), `${role} ServiceMonitor`).toBeDefined();
    }
  });

  it('denies all traffic by default and keeps every Secret out of the manifests', () => {
    const objects = render(overlay);
    const deny = named(objects, 'NetworkPolicy', 'default-deny') as {
      spec?: { podSelector?: object; policyTypes?: string[] };
    };
    expect(deny?.spec?.podSelector).toEqual({});
    expect(deny?.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'ExternalSecret').length).toBeGreaterThan(5);
  });

  it("sets every address a role requires when it runs alone (read from the role's source)", () => {
    const objects = render(overlay);
    for (const role of ROLES) {
      const required = requiredSettings(role);
      if (required.length === 0) continue;
      const deployment = named(objects, 'Deployment', role) as {
        spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string }> | null }> } } };
      };
      const set = new Set(deployment.spec.template.spec.containers[0]?.env?.map((e) => e.name) ?? []);
      const common = named(objects, 'ConfigMap', 'origo-common') as { data?: Record<string, string> };
      for (const name of Object.keys(common?.data ?? {})) set.add(name);
      expect(
        required.filter((name) => !set.has(name)),
        `${role} Deployment in ${overlay}`,
      ).toEqual([]);
    }
  });

  it('gives the SFU one UDP port per pod on the node, without host networking, announcing the node', () => {
    const sfu = named(render(overlay), 'Deployment', 'sfu') as {
      spec: {
        template: {
          spec: {
            hostNetwork?: boolean;
            containers: Array<{
              ports: Array<{ protocol: string; hostPort?: number; containerPort: number }>;
              env: Array<{ name: string; value?: string }>;
            }>;
          };
        };
      };
    };
    const pod = sfu.spec.template.spec;
    expect(pod.hostNetwork).toBeUndefined();
    const udp = pod.containers[0]?.ports.filter((p) => p.protocol === 'UDP') ?? [];
    expect(udp).toEqual([{ name: 'media', containerPort: 40000, hostPort: 40000, protocol: 'UDP' }]);
    const env = new Map(pod.containers[0]?.env.map((e) => [e.name, e]));
    expect(env.get('SFU_UDP_PORT')?.value).toBe('40000');
    expect(env.get('SFU_TRANSPORT')?.value).toBe('ndc');
    expect(env.has('SFU_ANNOUNCED_ADDRESSES') || env.has('SFU_ANNOUNCED_ADDRESSES_FILE')).toBe(true);
  });
});

describe.skipIf(missingTools('kubectl') !== undefined)('environments differ where they should', () => {
  it('runs PostgreSQL and Redis in the cluster only in dev', () => {
    expect(named(render('dev'), 'StatefulSet', 'postgres')).toBeDefined();
    for (const overlay of ['staging', 'prod'])
      expect(named(render(overlay), 'StatefulSet', 'postgres'), overlay).toBeUndefined();
  });

  it('rolls staging and prod out as canaries of 5, 25 and 100 percent with 20-minute analyses', () => {
    for (const overlay of ['staging', 'prod']) {
      const rollout = named(render(overlay), 'Rollout', 'control') as {
        spec: {
          strategy: {
            canary: {
              steps: Array<{ setWeight?: number; analysis?: { templates: Array<{ templateName: string }> } }>;
            };
          };
        };
      };
      const steps = rollout.spec.strategy.canary.steps;
      expect(steps.flatMap((s) => (s.setWeight !== undefined ? [s.setWeight] : []))).toEqual([5, 25, 100]);
      const slo = named(render(overlay), 'AnalysisTemplate', 'origo-http-slo') as {
        spec: { metrics: Array<{ interval: string; count: number }> };
      };
      for (const m of slo.spec.metrics) expect([m.interval, m.count]).toEqual(['1m', 20]);
    }
  });

  it('switches roles that own a database to blue/green in prod-migration', () => {
    const rollout = named(render('prod-migration'), 'Rollout', 'control') as {
      spec: { strategy: Record<string, unknown> };
    };
    expect(Object.keys(rollout.spec.strategy)).toEqual(['blueGreen']);
    const gateway = named(render('prod-migration'), 'Rollout', 'gateway') as {
      spec: { strategy: Record<string, unknown> };
    };
    expect(Object.keys(gateway.spec.strategy)).toEqual(['canary']);
  });
});

describe('the policy and schema checks themselves', () => {
  const bad = parseManifests(
    readFileSync(join(DEPLOY_DIR, 'test', 'fixtures', 'bad-deployment.yaml'), 'utf8'),
  );

  it('report every rule a careless deployment breaks', () => {
    const rules = new Set(policyViolations(bad).map((v) => v.rule));
    expect([...rules].sort()).toEqual([
      'image-digest',
      'no-host-network',
      'no-latest',
      'non-root',
      'probes',
      'read-only-root',
      'resources',
    ]);
  });

  it('reject an object whose fields have the wrong type, and a kind without a schema', async () => {
    const wrong = structuredClone(bad[0]!) as K8sObject & {
      spec: { template: { spec: { containers: Array<Record<string, unknown>> } } };
    };
    wrong.spec.template.spec.containers[0]!['ports'] = [{ containerPort: 'eighty' }];
    expect((await schemaProblems(wrong)).join()).toMatch(/containerPort must be integer/);
    expect(
      await schemaProblems({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).toEqual(['Widget/w: no schema for example.com/v1 Widget']);
  });
});

describe('Argo CD applications', () => {
  it('validate against the Argo CD schemas and point at an overlay that exists', async () => {
    const dir = join(DEPLOY_DIR, 'argocd');
    for (const env of ['dev', 'staging', 'prod']) {
      const [app] = parseManifests(readFileSync(join(dir, `${env}.yaml`), 'utf8'));
      expect(await schemaProblems(app!)).toEqual([]);
      const path = (app as { spec: { source: { path: string } } }).spec.source.path;
      expect(path).toBe(`deploy/k8s/overlays/${env}`);
      expect(existsSync(join(DEPLOY_DIR, '..', path, 'kustomization.yaml'))).toBe(true);
    }
    const [project] = parseManifests(readFileSync(join(dir, 'project.yaml'), 'utf8'));
    expect(await schemaProblems(project!)).toEqual([]);
  });
});
