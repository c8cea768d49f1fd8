// Every overlay renders with kustomize, every object validates against the Kubernetes (and CRD) schemas,
// and the policy holds; a deliberately bad manifest shows that the policy catches what it should.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLATFORM_SECRETS } from '@origo/kit';
import { networkProblems, podModels } from '../src/k8s/network.js';
import { podSecurityProblems, policyViolations } from '../src/k8s/policy.js';
import { listOverlays, parseManifests, renderOverlay } from '../src/k8s/render.js';
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
function roleSource(role: string): string | undefined {
  const candidates = [
    join(REPO_ROOT, 'platform', role, 'src', 'role.ts'),
    join(REPO_ROOT, role, 'src', 'role.ts'),
  ];
  const file = candidates.find((f) => existsSync(f));
  return file ? readFileSync(file, 'utf8') : undefined;
}

function requiredSettings(role: string): string[] {
  const source = roleSource(role);
  if (source === undefined) return [];
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

/**
 * Secrets a role generates into its own data folder when the environment does not supply them (a
 * SecretSpec with `generate`, or a PLATFORM_SECRETS entry it asks for), read from its role.ts. With
 * several replicas each pod would generate a different value, so Vault must supply every one of them.
 */
function generatedSecrets(role: string): string[] {
  const source = roleSource(role);
  if (source === undefined) return [];
  const names = new Set<string>();
  for (const m of source.matchAll(/env:\s*'([A-Z][A-Z0-9_]*)',\s*generate:/g)) names.add(m[1]!);
  for (const m of source.matchAll(/secrets\.get\(PLATFORM_SECRETS\.(\w+)\)/g)) {
    const spec = (PLATFORM_SECRETS as Record<string, { env: string }>)[m[1]!];
    if (spec) names.add(spec.env);
  }
  return [...names].sort();
}

/** A generated secret the role also accepts as other variables (role.ts reads these first). */
const SECRET_ALTERNATIVES: Record<string, string[]> = {
  // notification: VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (as web-push prints them) replace the JSON pair.
  ORIGO_VAPID_KEYS: ['VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY'],
};

const named = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name);

interface PodTemplateLike {
  metadata?: { labels?: Record<string, string> };
  spec: {
    containers: Array<{
      name: string;
      env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
      envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
    }>;
    volumes?: Array<{ name: string; emptyDir?: object; secret?: { secretName: string } }>;
  };
}

const templateOf = (objects: K8sObject[], kind: string, name: string) =>
  (named(objects, kind, name) as { spec: { template: PodTemplateLike } } | undefined)?.spec.template;

/** The resolved environment of a role's pods (env values and the ConfigMaps it loads). */
const roleEnv = (objects: K8sObject[], role: string) =>
  new Map(
    podModels(objects)
      .filter((p) => p.workload === `Deployment/${role}`)
      .flatMap((p) => p.env.map((e) => [e.name, e.value] as const)),
  );

const externalSecretKeys = (objects: K8sObject[], name: string) =>
  (
    (named(objects, 'ExternalSecret', name) as { spec?: { data?: Array<{ secretKey: string }> } })?.spec
      ?.data ?? []
  ).map((d) => d.secretKey);

// Every folder of deploy/k8s/overlays with a kustomization: a new environment is checked without an edit.
const OVERLAYS = listOverlays();

describe('overlay discovery', () => {
  it('finds every environment folder, including the ones this suite compares below', () => {
    expect(OVERLAYS).toEqual(expect.arrayContaining(['dev', 'staging', 'prod', 'prod-migration']));
  });
});

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

  it('lets every workload reach each in-cluster address of its environment through the NetworkPolicies', () => {
    // For each URL or host:port in a workload's env (and the ConfigMaps it loads) that names a Service:
    // egress of the caller and ingress of the pods behind it on that port (src/k8s/network.ts).
    expect(networkProblems(render(overlay))).toEqual([]);
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

  it('takes every secret a role would otherwise generate per pod from Vault (replicas must agree)', () => {
    const objects = render(overlay);
    const missing: string[] = [];
    for (const role of ROLES) {
      const keys = new Set(externalSecretKeys(objects, `origo-${role}`));
      for (const secret of generatedSecrets(role)) {
        const alternatives = SECRET_ALTERNATIVES[secret];
        if (!keys.has(secret) && !(alternatives && alternatives.every((a) => keys.has(a))))
          missing.push(`${role}: ${secret}${alternatives ? ` (or ${alternatives.join(' and ')})` : ''}`);
      }
    }
    expect(generatedSecrets('notification')).toEqual(['ORIGO_NOTIFICATION_SECRET', 'ORIGO_VAPID_KEYS']);
    expect(missing).toEqual([]);
  });

  it('restarts every long-running workload that reads the TURN secret when the rotation changes it', () => {
    const objects = render(overlay);
    // Secrets External Secrets fills from Vault `turn`, by namespace.
    const turnSecrets = new Set(
      objects
        .filter(
          (o) =>
            o.kind === 'ExternalSecret' &&
            ((o['spec'] as { data?: Array<{ remoteRef: { key: string } }> }).data ?? []).some(
              (d) => d.remoteRef.key === 'turn',
            ),
        )
        .map(
          (o) =>
            `${o.metadata?.namespace}/${(o['spec'] as { target?: { name?: string } }).target?.name ?? o.metadata?.name}`,
        ),
    );
    expect(turnSecrets.size).toBeGreaterThanOrEqual(3);
    const readers: string[] = [];
    const unrestarted: string[] = [];
    for (const obj of objects.filter((o) =>
      ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind ?? ''),
    )) {
      const template = (obj as { spec: { template: PodTemplateLike } }).spec.template;
      const used = new Set([
        ...template.spec.containers.flatMap((c) =>
          (c.envFrom ?? []).flatMap((e) => (e.secretRef ? [e.secretRef.name] : [])),
        ),
        ...(template.spec.volumes ?? []).flatMap((v) => (v.secret ? [v.secret.secretName] : [])),
      ]);
      const annotations = (obj.metadata as { annotations?: Record<string, string> }).annotations ?? {};
      const reloaded = new Set(
        (annotations['secret.reloader.stakater.com/reload'] ?? '').split(',').map((n) => n.trim()),
      );
      for (const secret of used) {
        if (!turnSecrets.has(`${obj.metadata?.namespace}/${secret}`)) continue;
        readers.push(`${obj.kind}/${obj.metadata?.name}`);
        if (!reloaded.has(secret) && annotations['reloader.stakater.com/auto'] !== 'true')
          unrestarted.push(`${obj.kind}/${obj.metadata?.name} reads Secret ${secret}`);
      }
    }
    expect(readers.sort()).toEqual(['DaemonSet/coturn', 'Deployment/signaling', 'Deployment/turn-probe']);
    expect(unrestarted).toEqual([]);
  });

  it('names each recorder after its pod and keeps only its work files on the emptyDir', () => {
    const template = templateOf(render(overlay), 'Deployment', 'recording')!;
    const env = template.spec.containers[0]!.env ?? [];
    expect(env.find((e) => e.name === 'RECORDING_NODE_ID')?.valueFrom?.fieldRef?.fieldPath).toBe(
      'metadata.name',
    );
    expect(template.spec.volumes?.find((v) => v.name === 'data')?.emptyDir).toBeDefined();
  });

  it('gives the SFU one UDP port per pod on the node, without hostPort or host networking, announcing the node', () => {
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
    // No hostPort (Pod Security "restricted" refuses it): the NodePort Service sfu-media publishes the port,
    // only to the pod on the receiving node, on the same number the SFU listens on and announces.
    expect(udp).toEqual([{ name: 'media', containerPort: 30400, protocol: 'UDP' }]);
    const env = new Map(pod.containers[0]?.env.map((e) => [e.name, e]));
    expect(env.get('SFU_UDP_PORT')?.value).toBe('30400');
    const media = named(render(overlay), 'Service', 'sfu-media') as {
      spec: {
        type: string;
        externalTrafficPolicy: string;
        selector: Record<string, string>;
        ports: Array<{ protocol: string; nodePort: number; targetPort: string }>;
      };
    };
    expect(media.spec.type).toBe('NodePort');
    expect(media.spec.externalTrafficPolicy).toBe('Local');
    expect(media.spec.selector).toEqual({ 'app.kubernetes.io/component': 'sfu' });
    expect(media.spec.ports).toEqual([
      expect.objectContaining({ protocol: 'UDP', nodePort: 30400, targetPort: 'media' }),
    ]);
    // One SFU pod per node, or a node's port would spread one peer's packets over two pods.
    const anti = (
      sfu.spec.template.spec as {
        affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
      }
    ).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    expect(anti?.length).toBe(1);
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

  it("mounts the prod SFU's API token into the node-address init container only", () => {
    for (const overlay of ['prod', 'prod-migration']) {
      const pod = (
        named(render(overlay), 'Deployment', 'sfu') as {
          spec: {
            template: {
              spec: {
                automountServiceAccountToken?: boolean;
                serviceAccountName?: string;
                initContainers?: Array<{
                  name: string;
                  volumeMounts?: Array<{ name: string; mountPath: string }>;
                }>;
                containers: Array<{
                  name: string;
                  volumeMounts?: Array<{ name: string; mountPath: string }>;
                }>;
                volumes: Array<{
                  name: string;
                  projected?: { sources: Array<{ serviceAccountToken?: { path: string } }> };
                }>;
              };
            };
          };
        }
      ).spec.template.spec;
      expect(pod.automountServiceAccountToken, overlay).toBe(false);
      expect(pod.serviceAccountName, overlay).toBe('origo-sfu-node-reader');
      const tokenVolumes = pod.volumes
        .filter((v) => v.projected?.sources.some((s) => s.serviceAccountToken))
        .map((v) => v.name);
      const mounting = [
        ...(pod.initContainers ?? []).map((c) => ({ c, init: true })),
        ...pod.containers.map((c) => ({ c, init: false })),
      ].filter(({ c }) =>
        (c.volumeMounts ?? []).some(
          (m) =>
            tokenVolumes.includes(m.name) ||
            m.mountPath.startsWith('/var/run/secrets/kubernetes.io/serviceaccount'),
        ),
      );
      expect(
        mounting.map(({ c, init }) => `${init ? 'init' : 'container'} ${c.name}`),
        overlay,
      ).toEqual(['init node-address']);
      const mount = mounting[0]!.c.volumeMounts!.find((m) => tokenVolumes.includes(m.name));
      expect(mount?.mountPath).toBe('/var/run/secrets/kubernetes.io/serviceaccount');
    }
  });

  it('stores finished recordings in S3 everywhere but dev', () => {
    for (const overlay of OVERLAYS.filter((o) => o !== 'dev')) {
      const objects = render(overlay);
      const env = roleEnv(objects, 'recording');
      expect(env.get('S3_BUCKET'), `${overlay} S3_BUCKET`).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
      expect(env.get('S3_REGION'), `${overlay} S3_REGION`).toMatch(/^[a-z0-9-]+$/);
      expect(externalSecretKeys(objects, 'origo-recording'), overlay).toEqual(
        expect.arrayContaining(['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']),
      );
    }
    // dev keeps the files on the pod (no bucket), which is what makes S3 a must elsewhere.
    expect(roleEnv(render('dev'), 'recording').get('S3_BUCKET')).toBeUndefined();
  });

  it("aims the canary smoke test at each role's canary Service, which selects the role's pods", () => {
    for (const overlay of ['staging', 'prod']) {
      const objects = render(overlay);
      for (const rollout of objects.filter((o) => o.kind === 'Rollout')) {
        const role = rollout.metadata?.name ?? '?';
        const spec = rollout['spec'] as {
          selector: { matchLabels: Record<string, string> };
          strategy: {
            canary: {
              canaryService?: string;
              stableService?: string;
              steps: Array<{
                analysis?: {
                  templates: Array<{ templateName: string }>;
                  args?: Array<{ name: string; value: string }>;
                };
              }>;
            };
          };
        };
        const canary = spec.strategy.canary;
        expect(canary.canaryService, `${overlay} ${role}`).toBe(`${role}-canary`);
        // No stableService: it would take the canary out of the main Service, and the SLO analyses would
        // see no real traffic on it.
        expect(canary.stableService, `${overlay} ${role}`).toBeUndefined();
        const service = named(objects, 'Service', `${role}-canary`) as {
          spec: { selector: Record<string, string>; ports: Array<{ port: number }> };
        };
        expect(service?.spec.selector, `${overlay} ${role}-canary`).toEqual(spec.selector.matchLabels);
        const smoke = canary.steps.filter((s) =>
          s.analysis?.templates.some((t) => t.templateName === 'origo-smoke'),
        );
        expect(smoke.length, `${overlay} ${role}`).toBe(1);
        const args = Object.fromEntries((smoke[0]!.analysis!.args ?? []).map((a) => [a.name, a.value]));
        expect(args, `${overlay} ${role}`).toEqual({
          service: role,
          target: `http://${role}-canary:${service.spec.ports[0]!.port}`,
        });
      }
    }
  });

  it('runs the smoke Job against the target it is given, as the role it names', () => {
    const template = named(render('prod'), 'AnalysisTemplate', 'origo-smoke') as {
      spec: {
        args: Array<{ name: string }>;
        metrics: Array<{ provider: { job: { spec: { template: PodTemplateLike } } } }>;
      };
    };
    expect(template.spec.args.map((a) => a.name).sort()).toEqual(['service', 'target']);
    const env = template.spec.metrics[0]!.provider.job.spec.template.spec.containers[0]!.env ?? [];
    expect(Object.fromEntries(env.map((e) => [e.name, e.value]))).toEqual({
      SMOKE_URL: 'https://meet.example.com',
      SMOKE_TARGET_ROLE: '{{args.service}}',
      SMOKE_TARGET_URL: '{{args.target}}',
    });
  });

  it('labels blue/green preview pods as the analyses select canaries, and smoke-tests the preview Service', () => {
    const objects = render('prod-migration');
    // The label value the SLO analyses select on by default, and the pod label the ServiceMonitors copy.
    const slo = named(objects, 'AnalysisTemplate', 'origo-http-slo') as {
      spec: {
        args: Array<{ name: string; value?: string }>;
        metrics: Array<{ provider: { prometheus: { query: string } } }>;
      };
    };
    const track = slo.spec.args.find((a) => a.name === 'track')?.value;
    expect(track).toBe('canary');
    for (const m of slo.spec.metrics)
      expect(m.provider.prometheus.query).toContain('origo_dev_track="{{args.track}}"');
    const monitor = named(objects, 'ServiceMonitor', 'control') as { spec: { podTargetLabels: string[] } };
    expect(monitor.spec.podTargetLabels).toContain('origo.dev/track');

    const blueGreen = objects.filter(
      (o) =>
        o.kind === 'Rollout' && (o['spec'] as { strategy: Record<string, unknown> }).strategy['blueGreen'],
    );
    expect(blueGreen.map((o) => o.metadata?.name).sort()).toEqual([
      'auth',
      'billing',
      'chat',
      'control',
      'notification',
      'recording',
    ]);
    for (const rollout of blueGreen) {
      const role = rollout.metadata?.name ?? '?';
      const bg = (rollout['spec'] as { strategy: { blueGreen: Record<string, unknown> } }).strategy
        .blueGreen as {
        previewService: string;
        previewMetadata?: { labels?: Record<string, string> };
        activeMetadata?: { labels?: Record<string, string> };
        prePromotionAnalysis: {
          templates: Array<{ templateName: string }>;
          args: Array<{ name: string; value: string }>;
        };
        postPromotionAnalysis: {
          templates: Array<{ templateName: string }>;
          args: Array<{ name: string; value: string }>;
        };
      };
      expect(bg.previewMetadata?.labels?.['origo.dev/track'], role).toBe(track);
      expect(bg.activeMetadata?.labels?.['origo.dev/track'], role).toBe('stable');
      const preview = named(objects, 'Service', bg.previewService) as {
        spec: { ports: Array<{ port: number }> };
      };
      const pre = Object.fromEntries(bg.prePromotionAnalysis.args.map((a) => [a.name, a.value]));
      expect(
        bg.prePromotionAnalysis.templates.map((t) => t.templateName),
        role,
      ).toContain('origo-smoke');
      expect(
        bg.prePromotionAnalysis.templates.map((t) => t.templateName),
        role,
      ).toContain('origo-http-slo');
      expect(pre, role).toEqual({
        service: role,
        target: `http://${bg.previewService}:${preview.spec.ports[0]!.port}`,
      });
      // After promotion the new pods carry activeMetadata's label: the analysis must look at those.
      const post = Object.fromEntries(bg.postPromotionAnalysis.args.map((a) => [a.name, a.value]));
      expect(post, role).toEqual({ service: role, track: 'stable' });
    }
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

  it('fast-tracks a rollback to one of the last 3 revisions of every Rollout (rollback.sh waits for it)', () => {
    for (const overlay of ['staging', 'prod', 'prod-migration']) {
      const rollouts = render(overlay).filter((o) => o.kind === 'Rollout') as Array<
        K8sObject & { spec: { rollbackWindow?: { revisions?: number }; revisionHistoryLimit?: number } }
      >;
      expect(rollouts.map((r) => r.metadata?.name).sort(), overlay).toEqual([...ROLES].sort());
      for (const r of rollouts) {
        expect(r.spec.rollbackWindow, `${overlay} ${r.metadata?.name}`).toEqual({ revisions: 3 });
        expect(r.spec.revisionHistoryLimit ?? 10).toBeGreaterThanOrEqual(3);
      }
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

  it('report what the Pod Security level enforced on the namespace forbids (the SFU hostPort bug)', () => {
    const namespace = (name: string, level?: string): K8sObject => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        ...(level ? { labels: { 'pod-security.kubernetes.io/enforce': level } } : {}),
      },
    });
    const pod = (ns: string): K8sObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `media-${ns}`, namespace: ns },
      spec: {
        template: {
          spec: {
            hostNetwork: true,
            containers: [
              {
                name: 'sfu',
                ports: [{ name: 'media', containerPort: 40000, hostPort: 40000, protocol: 'UDP' }],
                securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN'] } },
              },
            ],
          },
        },
      },
    });
    const objects = [
      namespace('strict', 'restricted'),
      namespace('base', 'baseline'),
      namespace('open', 'privileged'),
      namespace('unlabelled'),
      pod('strict'),
      pod('base'),
      pod('open'),
      pod('unlabelled'),
    ];
    const found = policyViolations(objects)
      .filter((v) => v.rule === 'pod-security')
      .map((v) => `${v.object} ${v.message.replace(/^.*which forbids /, '')}`);
    const baseline = [
      'hostNetwork',
      'container sfu: privileged',
      'container sfu: hostPort 40000 (port media)',
      'container sfu: adds capability NET_ADMIN',
    ];
    expect(found).toEqual([
      ...baseline.map((p) => `Deployment/media-strict ${p}`),
      'Deployment/media-strict container sfu: does not drop ALL capabilities',
      'Deployment/media-strict container sfu: runAsNonRoot is not true',
      'Deployment/media-strict container sfu: allowPrivilegeEscalation is not false',
      'Deployment/media-strict container sfu: seccompProfile is not RuntimeDefault or Localhost',
      ...baseline.map((p) => `Deployment/media-base ${p}`),
    ]);
    // A pod that meets restricted passes, hostPort 0 included.
    expect(
      podSecurityProblems(
        {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'ok',
              ports: [{ containerPort: 30400, hostPort: 0 }],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
        'restricted',
      ),
    ).toEqual([]);
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

describe.skipIf(missingTools('kubectl') !== undefined)('the network path check itself', () => {
  it("reports signaling reaching control's JWKS when the policies allow only gRPC (the original bug)", () => {
    const objects = structuredClone(render('prod')).map((o) => {
      if (o.kind !== 'NetworkPolicy') return o;
      const spec = o['spec'] as {
        egress?: Array<{ to?: Array<{ podSelector?: { matchLabels?: Record<string, string> } }> }>;
        ingress?: Array<{
          from?: Array<{ podSelector?: { matchExpressions?: Array<{ values: string[] }> } }>;
          ports?: Array<{ port?: string | number }>;
        }>;
      };
      // Back to the policies as they were: signaling's egress without control's HTTP port, and control's
      // HTTP ingress from chat and recording only.
      if (o.metadata?.name === 'signaling')
        spec.egress = spec.egress?.filter(
          (r) => r.to?.[0]?.podSelector?.matchLabels?.['app.kubernetes.io/component'] !== 'control',
        );
      if (o.metadata?.name === 'control')
        for (const rule of (spec.ingress ?? []).filter((r) => r.ports?.some((p) => p.port === 'http')))
          for (const e of rule.from?.[0]?.podSelector?.matchExpressions ?? [])
            e.values = e.values.filter((v) => v !== 'signaling');
      return o;
    });
    const problems = networkProblems(objects);
    expect(problems.map((p) => `${p.object} ${p.variable} ${p.message.split(' is not')[0]}`)).toEqual([
      'Deployment/signaling JOIN_TOKEN_JWKS_URL egress to Deployment/control port 8080 (http)',
      'Deployment/signaling JOIN_TOKEN_JWKS_URL ingress to Deployment/control port 8080 (http)',
    ]);
  });
});

describe.skipIf(missingTools('kubectl') !== undefined)('the S3_ENDPOINT check', () => {
  it("reports an in-cluster MinIO endpoint on a port recording's egress does not allow", () => {
    const withEndpoint = (endpoint: string) =>
      structuredClone(render('prod')).map((o) => {
        if (o.kind === 'ConfigMap' && o.metadata?.name?.startsWith('origo-recording-storage'))
          (o['data'] as Record<string, string>)['S3_ENDPOINT'] = endpoint;
        return o;
      });
    expect(
      networkProblems(withEndpoint('http://minio.minio.svc:9000')).map(
        (p) => `${p.object} ${p.variable} ${p.message.split(' is not')[0]}`,
      ),
    ).toEqual(['Deployment/recording S3_ENDPOINT egress to port 9000']);
    expect(networkProblems(withEndpoint('https://minio.example.com'))).toEqual([]);
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
