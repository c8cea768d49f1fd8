// Policy every rendered overlay must hold (run by deploy/test/manifests.test.ts): probes on long-running
// containers, requests and limits, non-root with no privilege escalation and a read-only root, no host
// networking, images pinned by digest and never `latest`, and the Pod Security level each namespace enforces
// (`pod-security.kubernetes.io/enforce` on its Namespace), which admission would refuse a pod for.
import type { K8sObject } from './schema.js';

/**
 * Deliberate exceptions, each with its reason. Keyed by `Kind/name` and the rule it may break.
 * coturn: a TURN relay gives each allocation its own UDP port from a range of thousands on the node's
 * public address, which Kubernetes can only publish with host networking.
 */
export const POLICY_EXCEPTIONS: ReadonlyArray<{ object: string; rule: string; reason: string }> = [
  {
    object: 'DaemonSet/coturn',
    rule: 'no-host-network',
    reason: 'TURN relay port range on the node address',
  },
];

export interface Container {
  name?: string;
  image?: string;
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  ports?: Array<{ name?: string; containerPort?: number; hostPort?: number }>;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string };
  };
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
  volumes?: Array<Record<string, unknown> & { name?: string }>;
}

export interface Violation {
  object: string;
  rule: string;
  message: string;
}

const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Rollout']);

/** Pod specs inside an object, with whether their containers must carry probes. */
function podSpecs(obj: K8sObject): Array<{ spec: PodSpec; probes: boolean; where: string }> {
  const spec = obj['spec'] as Record<string, unknown> | undefined;
  if (!spec) return [];
  const template = (t: unknown) => (t as { spec?: PodSpec } | undefined)?.spec;
  switch (obj.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
    case 'Rollout': {
      const pod = template(spec['template']);
      return pod ? [{ spec: pod, probes: LONG_RUNNING.has(obj.kind), where: 'template' }] : [];
    }
    case 'CronJob': {
      const job = (spec['jobTemplate'] as { spec?: { template?: unknown } } | undefined)?.spec;
      const pod = template(job?.template);
      return pod ? [{ spec: pod, probes: false, where: 'jobTemplate' }] : [];
    }
    case 'AnalysisTemplate': {
      const metrics =
        (spec['metrics'] as Array<{
          name?: string;
          provider?: { job?: { spec?: { template?: unknown } } };
        }>) ?? [];
      return metrics.flatMap((m) => {
        const pod = template(m.provider?.job?.spec?.template);
        return pod ? [{ spec: pod, probes: false, where: `metric ${m.name ?? '?'}` }] : [];
      });
    }
    default:
      return [];
  }
}

const DIGEST = /@sha256:[0-9a-f]{64}$/;

/** Pod Security Standards levels, from the least to the most strict. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** Capabilities the baseline level lets a container add (Pod Security Standards). */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
/** Volume types the restricted level allows. */
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** The enforced Pod Security level of each Namespace in the objects (label `pod-security.kubernetes.io/enforce`). */
export function enforcedLevels(objects: K8sObject[]): Map<string, PodSecurityLevel> {
  const levels = new Map<string, PodSecurityLevel>();
  for (const obj of objects) {
    if (obj.kind !== 'Namespace' || !obj.metadata?.name) continue;
    const labels = obj.metadata.labels ?? {};
    const level = labels['pod-security.kubernetes.io/enforce'];
    // Admission treats a namespace without the label as privileged (the cluster default unless configured).
    levels.set(obj.metadata.name, level === 'baseline' || level === 'restricted' ? level : 'privileged');
  }
  return levels;
}

/**
 * What Pod Security admission at `level` refuses in a pod spec: baseline (host namespaces, privileged,
 * added capabilities beyond the baseline list, hostPath volumes, any non-zero hostPort, an Unconfined
 * seccomp profile) and, for restricted, also non-root, no privilege escalation, every capability dropped
 * (only NET_BIND_SERVICE added back), a RuntimeDefault or Localhost seccomp profile, and the allowed volume types.
 */
export function podSecurityProblems(spec: PodSpec, level: PodSecurityLevel): string[] {
  if (level === 'privileged') return [];
  const problems: string[] = [];
  if (spec.hostNetwork) problems.push('hostNetwork');
  if (spec.hostPID) problems.push('hostPID');
  if (spec.hostIPC) problems.push('hostIPC');
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type === 'hostPath') problems.push(`hostPath volume ${v.name ?? '?'}`);
    else if (level === 'restricted' && type !== undefined && !RESTRICTED_VOLUMES.has(type))
      problems.push(`${type} volume ${v.name ?? '?'}`);
  }
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  if (podSeccomp === 'Unconfined') problems.push('pod seccompProfile Unconfined');
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  for (const c of all) {
    const name = `container ${c.name ?? '?'}`;
    const sc = c.securityContext ?? {};
    if (sc.privileged) problems.push(`${name}: privileged`);
    for (const p of c.ports ?? [])
      if (p.hostPort !== undefined && p.hostPort !== 0)
        problems.push(`${name}: hostPort ${p.hostPort} (port ${p.name ?? p.containerPort ?? '?'})`);
    const added = sc.capabilities?.add ?? [];
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (sc.seccompProfile?.type === 'Unconfined') problems.push(`${name}: seccompProfile Unconfined`);
    if (level === 'baseline') {
      for (const cap of added)
        if (!BASELINE_CAPABILITIES.has(cap)) problems.push(`${name}: adds capability ${cap}`);
      continue;
    }
    for (const cap of added) if (cap !== 'NET_BIND_SERVICE') problems.push(`${name}: adds capability ${cap}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL'))
      problems.push(`${name}: does not drop ALL capabilities`);
    if ((sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot) !== true)
      problems.push(`${name}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? spec.securityContext?.runAsUser) === 0) problems.push(`${name}: runAsUser is 0`);
    if (sc.allowPrivilegeEscalation !== false)
      problems.push(`${name}: allowPrivilegeEscalation is not false`);
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      problems.push(`${name}: seccompProfile is not RuntimeDefault or Localhost`);
  }
  return problems;
}

export function policyViolations(objects: K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const levels = enforcedLevels(objects);
  for (const obj of objects) {
    const id = `${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`;
    const add = (rule: string, message: string) => {
      if (!POLICY_EXCEPTIONS.some((e) => e.object === id && e.rule === rule))
        out.push({ object: id, rule, message });
    };
    const namespace = obj.metadata?.namespace;
    const level = namespace === undefined ? undefined : levels.get(namespace);
    for (const { spec, probes, where } of podSpecs(obj)) {
      // Only where the rendered objects include the Namespace: its labels say what admission enforces.
      if (level !== undefined)
        for (const problem of podSecurityProblems(spec, level))
          add(
            'pod-security',
            `${where}: namespace ${namespace} enforces Pod Security "${level}", which forbids ${problem}`,
          );
      if (spec.hostNetwork) add('no-host-network', `${where}: hostNetwork is set`);
      if (spec.hostPID || spec.hostIPC) add('no-host-namespaces', `${where}: hostPID or hostIPC is set`);
      const all = [
        ...(spec.containers ?? []).map((c) => ({ c, init: false })),
        ...(spec.initContainers ?? []).map((c) => ({ c, init: true })),
      ];
      if ((spec.containers ?? []).length === 0) add('containers', `${where}: no containers`);
      for (const { c, init } of all) {
        const name = `${where} container ${c.name ?? '?'}`;
        const image = c.image ?? '';
        if (/:latest(@|$)/.test(image) || (!image.includes(':') && !image.includes('@')))
          add('no-latest', `${name}: image "${image}" uses latest (or no tag)`);
        if (!DIGEST.test(image)) add('image-digest', `${name}: image "${image}" is not pinned by digest`);
        for (const kind of ['requests', 'limits'] as const)
          for (const resource of ['cpu', 'memory'])
            if (c.resources?.[kind]?.[resource] === undefined)
              add('resources', `${name}: no ${kind}.${resource}`);
        if (probes && !init) {
          if (!c.readinessProbe) add('probes', `${name}: no readinessProbe`);
          if (!c.livenessProbe) add('probes', `${name}: no livenessProbe`);
        }
        const sc = c.securityContext ?? {};
        const nonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
        const user = sc.runAsUser ?? spec.securityContext?.runAsUser;
        if (nonRoot !== true) add('non-root', `${name}: runAsNonRoot is not true`);
        if (user === 0) add('non-root', `${name}: runAsUser is 0`);
        if (sc.privileged) add('non-root', `${name}: privileged`);
        if (sc.allowPrivilegeEscalation !== false)
          add('non-root', `${name}: allowPrivilegeEscalation is not false`);
        if (sc.readOnlyRootFilesystem !== true)
          add('read-only-root', `${name}: readOnlyRootFilesystem is not true`);
      }
    }
  }
  return out;
}

/** Images still carrying the all-zero placeholder digest (an overlay no release has pinned). */
export function unreleasedImages(objects: K8sObject[]): string[] {
  return [...new Set(imagesOf(objects).flatMap((i) => (PLACEHOLDER.test(i.image) ? [i.image] : [])))];
}

const PLACEHOLDER = /@sha256:0{64}$/;

/** Every container image of the objects, wherever a pod template sits (CRDs and analysis Jobs included). */
export function imagesOf(objects: K8sObject[]): Array<{ object: string; container: string; image: string }> {
  const out: Array<{ object: string; container: string; image: string }> = [];
  const walk = (node: unknown, object: string): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, object);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (
        (key === 'containers' || key === 'initContainers' || key === 'ephemeralContainers') &&
        Array.isArray(value)
      )
        for (const c of value as Array<{ name?: unknown; image?: unknown }>)
          if (c && typeof c.image === 'string')
            out.push({ object, container: typeof c.name === 'string' ? c.name : '?', image: c.image });
      walk(value, object);
    }
  };
  for (const obj of objects) walk(obj, `${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`);
  return out;
}

/**
 * What keeps a rendered manifest from being released: an image without an `@sha256:` digest, an image on
 * the `latest` tag (or no tag, which means latest), and the all-zero placeholder digest a release replaces.
 * One line per image and problem, naming the containers that use it.
 */
export function releaseProblems(objects: K8sObject[]): string[] {
  const users = new Map<string, string[]>();
  for (const { object, container, image } of imagesOf(objects)) {
    const list = users.get(image) ?? [];
    list.push(`${object} container ${container}`);
    users.set(image, list);
  }
  const problems: string[] = [];
  for (const [image, where] of users) {
    const name = image.split('@')[0] ?? image;
    const tagged = /:[^/]+$/.test(name);
    const used =
      where.length <= 3
        ? `(${where.join(', ')})`
        : `(${where.slice(0, 3).join(', ')} and ${where.length - 3} more)`;
    if (/:latest$/.test(name) || (!tagged && !image.includes('@')))
      problems.push(
        `image "${image}" uses the latest tag; pin a version and its digest, name:1.2.3@sha256:<digest> ${used}`,
      );
    if (!DIGEST.test(image))
      problems.push(`image "${image}" is not pinned by digest; append @sha256:<64 hex digits> ${used}`);
    else if (PLACEHOLDER.test(image))
      problems.push(
        `image "${image}" still has the all-zero placeholder digest; no release pinned it ${used}`,
      );
  }
  return problems;
}
