// Whether the rendered NetworkPolicies let each workload reach the in-cluster addresses it is configured
// with. A workload's environment (its own `env` values and the ConfigMaps it loads with `envFrom`) names
// other roles as `http://control:8080/...` or `control:9090`; every such address that names a Service of
// the rendered manifests must be allowed both as egress of the calling pod and as ingress of the pods
// behind the Service, on the container port the Service forwards to. Analysis Jobs (Argo Rollouts
// AnalysisTemplates with a job provider) are checked once per Rollout step that runs them, with that
// step's arguments filled in, so a smoke test aimed at a canary or preview Service is checked as well.
//
// The model follows the NetworkPolicy rules of Kubernetes: a pod selected by no policy of a direction is
// open in that direction; otherwise one rule of one selecting policy must match the peer and the port.
// Peers given as ipBlock count as pods only for 0.0.0.0/0 and ::/0 (pod addresses are not known here).
//
// Containers that call the Kubernetes API (init containers included) need egress to the API server on
// TCP 443 (the `kubernetes` Service) and 6443 (where many clusters' API servers listen behind it), to
// any address (an ipBlock or no peer): a container that mounts a service account token at the standard
// path, runs a known API client (deploy/docker/node-address.mjs) or names KUBERNETES_SERVICE_HOST.
// Recording's S3_ENDPOINT (an address outside the rendered Services, often in-cluster MinIO) must be
// reachable through recording's egress on its port.
import type { K8sObject } from './schema.js';

type Labels = Record<string, string>;

interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

interface Container {
  name?: string;
  command?: string[];
  args?: string[];
  volumeMounts?: Array<{ name?: string; mountPath?: string }>;
  ports?: ContainerPort[];
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { configMapKeyRef?: { name: string; key: string } };
  }> | null;
  envFrom?: Array<{ configMapRef?: { name: string }; prefix?: string }> | null;
}

interface PodTemplate {
  metadata?: { labels?: Labels };
  spec?: { containers?: Container[]; initContainers?: Container[]; hostNetwork?: boolean };
}

/** A kind of pod the manifests run: its labels, ports and the environment its containers get. */
export interface PodModel {
  /** `Kind/name`, and for analysis Jobs the Rollout that runs them. */
  workload: string;
  namespace: string;
  labels: Labels;
  hostNetwork: boolean;
  ports: Array<{ name?: string; number: number; protocol: string }>;
  env: Array<{ container: string; name: string; value: string }>;
  /** Containers (init containers included) that call the Kubernetes API. */
  apiClients: string[];
}

/** Where a pod's service account token is mounted; a container mounting it talks to the API. */
export const SERVICE_ACCOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Ports of the Kubernetes API server a caller's egress must allow: the Service's and the usual backend. */
export const API_SERVER_PORTS = [443, 6443];
const API_CLIENT = /node-address\.mjs|KUBERNETES_SERVICE_HOST/;

function callsApi(c: Container): boolean {
  if ((c.volumeMounts ?? []).some((m) => m.mountPath?.replace(/\/+$/, '') === SERVICE_ACCOUNT_PATH))
    return true;
  const words = [...(c.command ?? []), ...(c.args ?? []), ...(c.env ?? []).map((e) => e.value ?? '')];
  return words.some((w) => API_CLIENT.test(w));
}

export interface NetworkProblem {
  /** The calling workload. */
  object: string;
  /** The variable that names the address, and the address. */
  variable: string;
  address: string;
  message: string;
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string };
}

interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}

interface NetworkPolicy {
  name: string;
  namespace: string;
  podSelector: LabelSelector;
  types: Array<'Ingress' | 'Egress'>;
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

interface ServiceModel {
  name: string;
  namespace: string;
  selector?: Labels;
  ports: Array<{ name?: string; port: number; targetPort?: number | string; protocol: string }>;
}

const DEFAULT_NAMESPACE = 'default';
const nsOf = (obj: K8sObject) => obj.metadata?.namespace ?? DEFAULT_NAMESPACE;

/** Kubernetes label-selector semantics; an absent selector selects everything. */
export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function podModel(
  workload: string,
  namespace: string,
  template: PodTemplate,
  configMaps: Map<string, Record<string, string>>,
): PodModel {
  const spec = template.spec ?? {};
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  const env: PodModel['env'] = [];
  for (const c of containers) {
    const container = c.name ?? '?';
    for (const from of c.envFrom ?? []) {
      const data = from.configMapRef ? configMaps.get(`${namespace}/${from.configMapRef.name}`) : undefined;
      for (const [name, value] of Object.entries(data ?? {}))
        env.push({ container, name: `${from.prefix ?? ''}${name}`, value: String(value) });
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.configMapKeyRef;
      const value =
        e.value ?? (ref ? configMaps.get(`${namespace}/${ref.name}`)?.[ref.key] : undefined) ?? undefined;
      if (value !== undefined) env.push({ container, name: e.name, value: String(value) });
    }
  }
  return {
    workload,
    namespace,
    labels: template.metadata?.labels ?? {},
    hostNetwork: spec.hostNetwork === true,
    apiClients: containers.filter(callsApi).map((c) => c.name ?? '?'),
    ports: (spec.containers ?? []).flatMap((c) =>
      (c.ports ?? []).map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        number: p.containerPort,
        protocol: p.protocol ?? 'TCP',
      })),
    ),
    env,
  };
}

interface AnalysisRef {
  templates?: Array<{ templateName?: string; clusterScope?: boolean }>;
  args?: Array<{ name: string; value?: string }>;
}

/** The analyses a Rollout runs: canary steps and background analysis, blue/green pre and post promotion. */
function analysisRefs(rollout: K8sObject): AnalysisRef[] {
  const strategy = (rollout['spec'] as { strategy?: Record<string, Record<string, unknown>> } | undefined)
    ?.strategy;
  const canary = strategy?.['canary'] as
    { steps?: Array<{ analysis?: AnalysisRef }>; analysis?: AnalysisRef } | undefined;
  const blueGreen = strategy?.['blueGreen'] as
    { prePromotionAnalysis?: AnalysisRef; postPromotionAnalysis?: AnalysisRef } | undefined;
  return [
    ...(canary?.steps ?? []).flatMap((s) => (s.analysis ? [s.analysis] : [])),
    ...(canary?.analysis ? [canary.analysis] : []),
    ...(blueGreen?.prePromotionAnalysis ? [blueGreen.prePromotionAnalysis] : []),
    ...(blueGreen?.postPromotionAnalysis ? [blueGreen.postPromotionAnalysis] : []),
  ];
}

/** Replaces `{{args.name}}` with the argument's value (Argo Rollouts' substitution). */
export function substituteArgs<T>(value: T, args: Map<string, string>): T {
  const text = JSON.stringify(value).replace(/\{\{\s*args\.([\w-]+)\s*\}\}/g, (whole, name: string) => {
    const arg = args.get(name);
    return arg === undefined ? whole : JSON.stringify(arg).slice(1, -1);
  });
  return JSON.parse(text) as T;
}

/** Every kind of pod the manifests run, analysis Jobs included (one per Rollout analysis that runs one). */
export function podModels(objects: K8sObject[]): PodModel[] {
  const configMaps = new Map<string, Record<string, string>>();
  for (const o of objects)
    if (o.kind === 'ConfigMap' && o.metadata?.name)
      configMaps.set(`${nsOf(o)}/${o.metadata.name}`, (o['data'] as Record<string, string>) ?? {});

  const pods: PodModel[] = [];
  const templates = new Map<string, K8sObject>();
  for (const obj of objects) {
    const id = `${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`;
    const spec = obj['spec'] as Record<string, unknown> | undefined;
    switch (obj.kind) {
      case 'Deployment':
      case 'StatefulSet':
      case 'DaemonSet':
      case 'ReplicaSet':
      case 'Job':
      case 'Rollout': {
        const template = spec?.['template'] as PodTemplate | undefined;
        if (template?.spec) pods.push(podModel(id, nsOf(obj), template, configMaps));
        break;
      }
      case 'CronJob': {
        const template = (spec?.['jobTemplate'] as { spec?: { template?: PodTemplate } } | undefined)?.spec
          ?.template;
        if (template?.spec) pods.push(podModel(id, nsOf(obj), template, configMaps));
        break;
      }
      case 'Pod':
        pods.push(
          podModel(id, nsOf(obj), { metadata: obj.metadata, spec: spec as PodTemplate['spec'] }, configMaps),
        );
        break;
      case 'AnalysisTemplate':
        templates.set(`${nsOf(obj)}/${obj.metadata?.name ?? ''}`, obj);
        break;
      default:
        break;
    }
  }

  for (const rollout of objects.filter((o) => o.kind === 'Rollout')) {
    for (const ref of analysisRefs(rollout)) {
      for (const t of ref.templates ?? []) {
        const template = templates.get(`${nsOf(rollout)}/${t.templateName ?? ''}`);
        if (!template) continue;
        const spec = template['spec'] as {
          args?: Array<{ name: string; value?: string }>;
          metrics?: Array<{ name?: string; provider?: { job?: { spec?: { template?: PodTemplate } } } }>;
        };
        const args = new Map<string, string>();
        for (const a of spec.args ?? []) if (a.value !== undefined) args.set(a.name, a.value);
        for (const a of ref.args ?? []) if (a.value !== undefined) args.set(a.name, a.value);
        for (const metric of spec.metrics ?? []) {
          const pod = metric.provider?.job?.spec?.template;
          if (!pod?.spec) continue;
          pods.push(
            podModel(
              `AnalysisTemplate/${template.metadata?.name ?? '?'} (metric ${metric.name ?? '?'}, run by Rollout/${rollout.metadata?.name ?? '?'})`,
              nsOf(template),
              substituteArgs(pod, args),
              configMaps,
            ),
          );
        }
      }
    }
  }
  return pods;
}

function servicesOf(objects: K8sObject[]): ServiceModel[] {
  return objects
    .filter((o) => o.kind === 'Service')
    .map((o) => {
      const spec = (o['spec'] ?? {}) as {
        selector?: Labels;
        ports?: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string }>;
      };
      return {
        name: o.metadata?.name ?? '?',
        namespace: nsOf(o),
        ...(spec.selector ? { selector: spec.selector } : {}),
        ports: (spec.ports ?? []).map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })),
      };
    });
}

function policiesOf(objects: K8sObject[]): NetworkPolicy[] {
  return objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => {
      const spec = (o['spec'] ?? {}) as {
        podSelector?: LabelSelector;
        policyTypes?: Array<'Ingress' | 'Egress'>;
        ingress?: PolicyRule[];
        egress?: PolicyRule[];
      };
      const types = spec.policyTypes ?? ['Ingress', ...(spec.egress ? (['Egress'] as const) : [])];
      return {
        name: o.metadata?.name ?? '?',
        namespace: nsOf(o),
        podSelector: spec.podSelector ?? {},
        types,
        ingress: spec.ingress ?? [],
        egress: spec.egress ?? [],
      };
    });
}

/** `http://control:8080/x`, `control:9090`, `grpc://x.ns.svc:50051`: host and port, or undefined. */
export function addressesIn(value: string): Array<{ text: string; host: string; port: number }> {
  const out: Array<{ text: string; host: string; port: number }> = [];
  const defaults: Record<string, number> = { http: 80, ws: 80, https: 443, wss: 443 };
  for (const token of value.split(/[\s,;]+/)) {
    const url = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([a-z0-9.-]+)(?::(\d+))?(?:[/?#]|$)/i.exec(token);
    if (url) {
      const scheme = url[1]!.toLowerCase();
      const port = url[3] ? Number(url[3]) : defaults[scheme];
      if (port !== undefined) out.push({ text: token, host: url[2]!.toLowerCase(), port });
      continue;
    }
    const bare = /^([a-z0-9][a-z0-9.-]*):(\d+)$/i.exec(token);
    if (bare) out.push({ text: token, host: bare[1]!.toLowerCase(), port: Number(bare[2]) });
  }
  return out;
}

/** The Service a host name means from a pod in `namespace`: `svc`, `svc.ns`, `svc.ns.svc[.cluster.local]`. */
function serviceFor(host: string, namespace: string, services: ServiceModel[]): ServiceModel | undefined {
  const [name, ns, ...rest] = host.split('.');
  const suffix = rest.join('.');
  if (ns === undefined) return services.find((s) => s.name === name && s.namespace === namespace);
  if (suffix !== '' && suffix !== 'svc' && suffix !== 'svc.cluster.local') return undefined;
  return services.find((s) => s.name === name && s.namespace === ns);
}

function namespaceLabels(objects: K8sObject[], namespace: string): Labels {
  const obj = objects.find((o) => o.kind === 'Namespace' && o.metadata?.name === namespace);
  return { ...(obj?.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': namespace };
}

function peerMatches(
  peers: PolicyPeer[] | undefined,
  policyNamespace: string,
  other: PodModel,
  otherNamespaceLabels: Labels,
): boolean {
  if (!peers || peers.length === 0) return true;
  return peers.some((peer) => {
    if (peer.ipBlock) return peer.ipBlock.cidr === '0.0.0.0/0' || peer.ipBlock.cidr === '::/0';
    const namespaceOk = peer.namespaceSelector
      ? selects(peer.namespaceSelector, otherNamespaceLabels)
      : other.namespace === policyNamespace;
    if (!namespaceOk) return false;
    return peer.podSelector ? selects(peer.podSelector, other.labels) : true;
  });
}

function portMatches(
  ports: PolicyPort[] | undefined,
  target: { number: number; name?: string; protocol: string },
): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== target.protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') return p.port === target.name;
    return p.endPort !== undefined
      ? target.number >= p.port && target.number <= p.endPort
      : target.number === p.port;
  });
}

/**
 * Whether `direction` traffic of `pod` to or from `peer` on `port` is allowed: open when no policy
 * selects the pod for that direction, else when one rule of one selecting policy matches.
 */
function allowed(
  direction: 'Ingress' | 'Egress',
  pod: PodModel,
  peer: PodModel,
  port: { number: number; name?: string; protocol: string },
  policies: NetworkPolicy[],
  objects: K8sObject[],
): { ok: boolean; by: string[] } {
  if (pod.hostNetwork) return { ok: true, by: [] };
  const selecting = policies.filter(
    (p) => p.namespace === pod.namespace && p.types.includes(direction) && selects(p.podSelector, pod.labels),
  );
  if (selecting.length === 0) return { ok: true, by: [] };
  const peerNs = namespaceLabels(objects, peer.namespace);
  const ok = selecting.some((p) =>
    (direction === 'Ingress' ? p.ingress : p.egress).some(
      (rule) =>
        peerMatches(direction === 'Ingress' ? rule.from : rule.to, p.namespace, peer, peerNs) &&
        portMatches(rule.ports, port),
    ),
  );
  return { ok, by: selecting.map((p) => p.name) };
}

/**
 * Whether the egress policies selecting `pod` let it reach an address outside the cluster's pods (the
 * API server, an external store) on TCP `port`: a rule with no peers or with an ipBlock peer, and the port.
 */
function egressToAddress(
  pod: PodModel,
  port: number,
  policies: NetworkPolicy[],
): { ok: boolean; by: string[] } {
  if (pod.hostNetwork) return { ok: true, by: [] };
  const selecting = policies.filter(
    (p) => p.namespace === pod.namespace && p.types.includes('Egress') && selects(p.podSelector, pod.labels),
  );
  if (selecting.length === 0) return { ok: true, by: [] };
  const ok = selecting.some((p) =>
    p.egress.some(
      (rule) =>
        (!rule.to || rule.to.length === 0 || rule.to.some((peer) => peer.ipBlock !== undefined)) &&
        portMatches(rule.ports, { number: port, protocol: 'TCP' }),
    ),
  );
  return { ok, by: selecting.map((p) => p.name) };
}

/**
 * Every address a workload is configured with that names a rendered Service and that the NetworkPolicies
 * would refuse (or that leads nowhere: no such port, no pods behind the Service), every container that
 * calls the Kubernetes API without egress to it, and an S3_ENDPOINT whose port the caller's egress
 * refuses. Empty when all pass.
 */
export function networkProblems(objects: K8sObject[]): NetworkProblem[] {
  const pods = podModels(objects);
  const services = servicesOf(objects);
  const policies = policiesOf(objects);
  const problems: NetworkProblem[] = [];
  const seen = new Set<string>();
  for (const source of pods) {
    if (source.hostNetwork) continue;
    for (const container of source.apiClients)
      for (const port of API_SERVER_PORTS) {
        const egress = egressToAddress(source, port, policies);
        if (!egress.ok)
          problems.push({
            object: source.workload,
            variable: 'KUBERNETES_SERVICE_HOST',
            address: `kubernetes.default.svc:${port}`,
            message: `egress to the Kubernetes API server port ${port} (container ${container}) is not allowed by the NetworkPolicies selecting the caller (${egress.by.join(', ')})`,
          });
      }
    for (const { name: variable, value } of source.env) {
      if (variable !== 'S3_ENDPOINT') continue;
      for (const address of addressesIn(value)) {
        // In-cluster Services are checked below, with their pods' policies.
        if (serviceFor(address.host, source.namespace, services)) continue;
        const egress = egressToAddress(source, address.port, policies);
        const key = `${source.workload}|${variable}|${address.text}|s3`;
        if (!egress.ok && !seen.has(key)) {
          seen.add(key);
          problems.push({
            object: source.workload,
            variable,
            address: address.text,
            message: `egress to port ${address.port} is not allowed by the NetworkPolicies selecting the caller (${egress.by.join(', ')}); allow it in the recording NetworkPolicy`,
          });
        }
      }
    }
    for (const { name: variable, value } of source.env) {
      for (const address of addressesIn(value)) {
        const service = serviceFor(address.host, source.namespace, services);
        if (!service) continue;
        const report = (message: string) => {
          const key = `${source.workload}|${variable}|${address.text}|${message}`;
          if (seen.has(key)) return;
          seen.add(key);
          problems.push({ object: source.workload, variable, address: address.text, message });
        };
        const servicePort = service.ports.find((p) => p.port === address.port);
        if (!servicePort) {
          report(`Service ${service.name} has no port ${address.port}`);
          continue;
        }
        if (!service.selector) continue;
        const targets = pods.filter(
          (p) =>
            p.namespace === service.namespace &&
            !p.workload.startsWith('AnalysisTemplate/') &&
            selects({ matchLabels: service.selector }, p.labels),
        );
        if (targets.length === 0) {
          report(`no workload runs the pods behind Service ${service.name}`);
          continue;
        }
        for (const target of targets) {
          const wanted = servicePort.targetPort ?? servicePort.port;
          const port =
            typeof wanted === 'number'
              ? (target.ports.find((p) => p.number === wanted && p.protocol === servicePort.protocol) ?? {
                  number: wanted,
                  protocol: servicePort.protocol,
                })
              : target.ports.find((p) => p.name === wanted && p.protocol === servicePort.protocol);
          if (!port) {
            report(
              `${target.workload} has no container port named "${String(wanted)}" (Service ${service.name})`,
            );
            continue;
          }
          const where = `${target.workload} port ${port.number}${port.name ? ` (${port.name})` : ''}`;
          const egress = allowed('Egress', source, target, port, policies, objects);
          if (!egress.ok)
            report(
              `egress to ${where} is not allowed by the NetworkPolicies selecting the caller (${egress.by.join(', ')})`,
            );
          const ingress = allowed('Ingress', target, source, port, policies, objects);
          if (!ingress.ok)
            report(
              `ingress to ${where} is not allowed by the NetworkPolicies selecting it (${ingress.by.join(', ')})`,
            );
        }
      }
    }
  }
  return problems;
}
