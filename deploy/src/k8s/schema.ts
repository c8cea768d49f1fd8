// Validates Kubernetes objects against the OpenAPI schemas shipped by kubernetes-models (core API) and
// its CRD packages (Argo Rollouts, Argo CD, External Secrets, Prometheus Operator, cert-manager).
// Offline: the schemas are compiled into the npm packages.

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

const CORE_GROUPS = new Set([
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
]);

/** Where the models of an apiVersion live; several packages can share a group (argoproj.io). */
function modulesFor(apiVersion: string): string[] {
  if (apiVersion === 'v1') return ['kubernetes-models/v1'];
  const [group, version] = apiVersion.split('/');
  if (!group || !version) return [];
  if (CORE_GROUPS.has(group)) return [`kubernetes-models/${group}/${version}`];
  if (group === 'argoproj.io')
    return [`@kubernetes-models/argo-rollouts/${apiVersion}`, `@kubernetes-models/argo-cd/${apiVersion}`];
  if (group === 'external-secrets.io') return [`@kubernetes-models/external-secrets/${apiVersion}`];
  if (group === 'monitoring.coreos.com') return [`@kubernetes-models/prometheus-operator/${apiVersion}`];
  if (group === 'cert-manager.io') return [`@kubernetes-models/cert-manager/${apiVersion}`];
  return [];
}

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  for (const specifier of modulesFor(apiVersion)) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(specifier)) as Record<string, unknown>;
    } catch {
      continue;
    }
    const model = mod[kind];
    if (typeof model === 'function') return model as ModelClass;
  }
  return undefined;
}

/** Problems with one object: no schema for its kind, or what the schema rejects. Empty when valid. */
export async function schemaProblems(obj: K8sObject): Promise<string[]> {
  const id = `${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`;
  if (!obj.apiVersion || !obj.kind) return [`${id}: apiVersion and kind are required`];
  const Model = await modelFor(obj.apiVersion, obj.kind);
  if (!Model) return [`${id}: no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [`${id}: ${(err as Error).message}`];
  }
}
