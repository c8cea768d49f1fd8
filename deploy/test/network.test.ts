// The network path check (src/k8s/network.ts) on small hand-written manifests: NetworkPolicy semantics
// (open until selected, peers, named ports, namespaces), the addresses it reads from env and ConfigMaps,
// and analysis Jobs checked with their Rollout's arguments. manifests.test.ts runs it on every overlay.
import { describe, expect, it } from 'vitest';
import { addressesIn, networkProblems, podModels, selects, substituteArgs } from '../src/k8s/network.js';
import type { K8sObject } from '../src/k8s/schema.js';

const deployment = (
  name: string,
  env: Array<{ name: string; value: string }>,
  ports: Array<{ name: string; containerPort: number }> = [{ name: 'http', containerPort: 8080 }],
  extra: { envFrom?: unknown[]; namespace?: string } = {},
): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: extra.namespace ?? 'app' },
  spec: {
    template: {
      metadata: { labels: { component: name } },
      spec: { containers: [{ name, ports, env, ...(extra.envFrom ? { envFrom: extra.envFrom } : {}) }] },
    },
  },
});

const service = (
  name: string,
  port: number,
  targetPort: number | string = 'http',
  namespace = 'app',
): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { selector: { component: name }, ports: [{ name: 'http', port, targetPort }] },
});

const policy = (name: string, spec: Record<string, unknown>, namespace = 'app'): K8sObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});

const denyAll = policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
const apiAndWeb = [
  deployment('web', [{ name: 'API_URL', value: 'http://api:80/v1' }]),
  deployment('api', []),
  service('api', 80),
];
const webToApi = policy('web', {
  podSelector: { matchLabels: { component: 'web' } },
  policyTypes: ['Egress'],
  egress: [{ to: [{ podSelector: { matchLabels: { component: 'api' } } }], ports: [{ port: 8080 }] }],
});
const apiFromWeb = policy('api', {
  podSelector: { matchLabels: { component: 'api' } },
  policyTypes: ['Ingress'],
  ingress: [{ from: [{ podSelector: { matchLabels: { component: 'web' } } }], ports: [{ port: 'http' }] }],
});

describe('network path check', () => {
  it('allows everything while no policy selects the pods', () => {
    expect(networkProblems(apiAndWeb)).toEqual([]);
  });

  it('reports both directions under default deny, naming the variable and the container port', () => {
    const problems = networkProblems([...apiAndWeb, denyAll]);
    expect(problems.map((p) => [p.object, p.variable, p.address, p.message.split(' is not')[0]])).toEqual([
      ['Deployment/web', 'API_URL', 'http://api:80/v1', 'egress to Deployment/api port 8080 (http)'],
      ['Deployment/web', 'API_URL', 'http://api:80/v1', 'ingress to Deployment/api port 8080 (http)'],
    ]);
  });

  it('passes when one rule of each side matches: a numeric egress port, a named ingress port', () => {
    expect(networkProblems([...apiAndWeb, denyAll, webToApi, apiFromWeb])).toEqual([]);
    expect(networkProblems([...apiAndWeb, denyAll, webToApi])).toHaveLength(1);
    expect(networkProblems([...apiAndWeb, denyAll, apiFromWeb])).toHaveLength(1);
  });

  it('checks the port the Service forwards to, not the one the caller dials', () => {
    const wrongPort = policy('web', {
      podSelector: { matchLabels: { component: 'web' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { component: 'api' } } }], ports: [{ port: 80 }] }],
    });
    expect(networkProblems([...apiAndWeb, denyAll, wrongPort, apiFromWeb])[0]?.message).toMatch(/^egress/);
  });

  it('matches peers by expression, by namespace, and refuses a peer in another namespace by pod labels alone', () => {
    const web = deployment('web', [{ name: 'API_ADDRESS', value: 'api.backend.svc.cluster.local:80' }]);
    const api = deployment('api', [], undefined, { namespace: 'backend' });
    const objects = [
      web,
      api,
      service('api', 80, 'http', 'backend'),
      denyAll,
      policy('default-deny', { podSelector: {}, policyTypes: ['Ingress'] }, 'backend'),
      policy('web', {
        podSelector: { matchExpressions: [{ key: 'component', operator: 'In', values: ['web', 'other'] }] },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'backend' } } }],
            ports: [{ port: 8000, endPort: 9000 }],
          },
        ],
      }),
    ];
    const samePodLabels = policy(
      'api',
      {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { component: 'web' } } }] }],
      },
      'backend',
    );
    expect(networkProblems([...objects, samePodLabels]).map((p) => p.message.split(' is not')[0])).toEqual([
      'ingress to Deployment/api port 8080 (http)',
    ]);
    const fromApp = policy(
      'api',
      {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'app' } },
                podSelector: { matchLabels: { component: 'web' } },
              },
            ],
          },
        ],
      },
      'backend',
    );
    expect(networkProblems([...objects, fromApp])).toEqual([]);
  });

  it('reads addresses from the ConfigMaps a container loads, and ignores hosts that are not Services', () => {
    const web = deployment('web', [{ name: 'PUBLIC_URL', value: 'https://meet.example.com' }], undefined, {
      envFrom: [{ configMapRef: { name: 'common' } }],
    });
    const common: K8sObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'common', namespace: 'app' },
      data: { TRACES: 'http://api:80', STUN_URLS: 'stun:turn.example.com:3478' },
    };
    const problems = networkProblems([web, common, deployment('api', []), service('api', 80), denyAll]);
    expect(problems.map((p) => p.variable)).toEqual(['TRACES', 'TRACES']);
  });

  it('says when an address leads nowhere: no such Service port, no pods behind it', () => {
    const objects = [
      deployment('web', [
        { name: 'A', value: 'api:81' },
        { name: 'B', value: 'http://lonely:80' },
      ]),
      deployment('api', []),
      service('api', 80),
      service('lonely', 80),
    ];
    expect(networkProblems(objects).map((p) => `${p.variable}: ${p.message}`)).toEqual([
      'A: Service api has no port 81',
      'B: no workload runs the pods behind Service lonely',
    ]);
  });

  it("checks an analysis Job once per Rollout that runs it, with that Rollout's arguments", () => {
    const template: K8sObject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'smoke', namespace: 'app' },
      spec: {
        args: [{ name: 'target' }],
        metrics: [
          {
            name: 'smoke',
            provider: {
              job: {
                spec: {
                  template: {
                    metadata: { labels: { component: 'smoke' } },
                    spec: {
                      containers: [{ name: 'smoke', env: [{ name: 'TARGET', value: '{{args.target}}' }] }],
                    },
                  },
                },
              },
            },
          },
        ],
      },
    };
    const rollout: K8sObject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'api', namespace: 'app' },
      spec: {
        strategy: {
          blueGreen: {
            prePromotionAnalysis: {
              templates: [{ templateName: 'smoke' }],
              args: [{ name: 'target', value: 'http://api:80' }],
            },
          },
        },
      },
    };
    const objects = [template, rollout, deployment('api', []), service('api', 80), denyAll];
    expect(podModels(objects).find((p) => p.workload.startsWith('AnalysisTemplate/'))?.env).toEqual([
      { container: 'smoke', name: 'TARGET', value: 'http://api:80' },
    ]);
    expect(networkProblems(objects).map((p) => p.object)).toEqual([
      'AnalysisTemplate/smoke (metric smoke, run by Rollout/api)',
      'AnalysisTemplate/smoke (metric smoke, run by Rollout/api)',
    ]);
  });
});

describe('network path helpers', () => {
  it('read URLs, host:port pairs and lists, with the scheme default port', () => {
    expect(addressesIn('http://control:8080/.well-known/x').map((a) => [a.host, a.port])).toEqual([
      ['control', 8080],
    ]);
    expect(addressesIn('https://user:pw@vault.example.com/v1').map((a) => [a.host, a.port])).toEqual([
      ['vault.example.com', 443],
    ]);
    expect(addressesIn('control:9090,chat:9090').map((a) => a.host)).toEqual(['control', 'chat']);
    expect(addressesIn('stun:turn.example.com:3478')).toEqual([]);
    expect(addressesIn('info')).toEqual([]);
  });

  it('select with matchLabels and every matchExpressions operator', () => {
    const labels = { a: '1', b: '2' };
    expect(selects({}, labels)).toBe(true);
    expect(selects({ matchLabels: { a: '1' } }, labels)).toBe(true);
    expect(selects({ matchLabels: { a: '2' } }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }, labels)).toBe(
      true,
    );
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, labels)).toBe(
      false,
    );
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, labels)).toBe(true);
  });

  it('substitute Argo Rollouts arguments and leave unknown ones', () => {
    expect(
      substituteArgs(
        { v: '{{args.a}}-{{ args.b }}-{{args.c}}' },
        new Map([
          ['a', 'x"y'],
          ['b', '2'],
        ]),
      ),
    ).toEqual({
      v: 'x"y-2-{{args.c}}',
    });
  });

  it('report an init container that calls the Kubernetes API when the egress refuses 443 or 6443', () => {
    const media = (mount: boolean): K8sObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'media', namespace: 'app' },
      spec: {
        template: {
          metadata: { labels: { component: 'media' } },
          spec: {
            initContainers: [
              mount
                ? {
                    name: 'lookup',
                    volumeMounts: [
                      { name: 'token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
                    ],
                  }
                : { name: 'node-address', command: ['node', '/app/deploy/docker/node-address.mjs', '/x'] },
            ],
            containers: [{ name: 'media' }],
          },
        },
      },
    });
    const udpOnly = policy('media', {
      podSelector: { matchLabels: { component: 'media' } },
      policyTypes: ['Egress'],
      egress: [{ ports: [{ protocol: 'UDP', port: 1024, endPort: 65535 }] }],
    });
    for (const mount of [false, true]) {
      const container = mount ? 'lookup' : 'node-address';
      expect(podModels([media(mount)])[0]?.apiClients).toEqual([container]);
      expect(networkProblems([media(mount), denyAll, udpOnly]).map((p) => p.message)).toEqual([
        `egress to the Kubernetes API server port 443 (container ${container}) is not allowed by the NetworkPolicies selecting the caller (default-deny, media)`,
        `egress to the Kubernetes API server port 6443 (container ${container}) is not allowed by the NetworkPolicies selecting the caller (default-deny, media)`,
      ]);
    }
    const withApi = policy('media', {
      podSelector: { matchLabels: { component: 'media' } },
      policyTypes: ['Egress'],
      egress: [
        { ports: [{ protocol: 'UDP', port: 1024, endPort: 65535 }] },
        {
          ports: [
            { protocol: 'TCP', port: 443 },
            { protocol: 'TCP', port: 6443 },
          ],
        },
      ],
    });
    expect(networkProblems([media(false), denyAll, withApi])).toEqual([]);
    // A container that neither mounts the token nor runs an API client is not checked.
    expect(podModels([deployment('web', [])])[0]?.apiClients).toEqual([]);
  });

  it("report an S3_ENDPOINT whose port the caller's egress refuses (in-cluster MinIO on 9000)", () => {
    const recording = (endpoint: string) =>
      deployment('recording', [{ name: 'S3_ENDPOINT', value: endpoint }]);
    const https = policy('recording', {
      podSelector: { matchLabels: { component: 'recording' } },
      policyTypes: ['Egress'],
      egress: [{ ports: [{ protocol: 'TCP', port: 443 }] }],
    });
    expect(
      networkProblems([recording('http://minio.minio.svc:9000'), denyAll, https]).map(
        (p) => `${p.object} ${p.variable} ${p.address} ${p.message.split(' is not')[0]}`,
      ),
    ).toEqual(['Deployment/recording S3_ENDPOINT http://minio.minio.svc:9000 egress to port 9000']);
    expect(networkProblems([recording('https://s3.eu-west-1.amazonaws.com'), denyAll, https])).toEqual([]);
    expect(networkProblems([recording('https://rgw.example.com:7480'), https])).toHaveLength(1);
  });
});
