// The operator's manifest commands, run as deploy/README.md documents them: `npm run release-check` refuses
// images without a digest, on latest, or on the placeholder; `npm run policy -- <dir>` renders any
// kustomize folder and lists every violation, exiting 1.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../src/k8s/render.js';
import { releaseProblems } from '../src/k8s/policy.js';
import { DEPLOY_DIR, REPO_ROOT } from './lib/paths.js';
import { missingTools, run } from './lib/tools.js';

const cli = (script: string, args: string[], input?: string) =>
  run(process.execPath, ['--conditions=source', '--import', 'tsx', join('src', 'k8s', script), ...args], {
    cwd: DEPLOY_DIR,
    ...(input !== undefined ? { input } : {}),
  });

const PINNED =
  'ghcr.io/origo/origo:1.4.0@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0';
const pod = (image: string) => `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - { name: c, image: '${image}' }
`;

describe('release check', () => {
  it('refuses a rendered manifest with an image on latest, one without digest and one on the placeholder', () => {
    const result = cli('release-check-cli.ts', ['--manifest', 'test/fixtures/unreleasable.yaml']);
    expect(result.status).toBe(1);
    const out = result.stderr;
    expect(out).toContain('image "nginx:latest" uses the latest tag');
    expect(out).toContain('image "nginx:latest" is not pinned by digest');
    expect(out).toContain('image "busybox:1.36" is not pinned by digest');
    expect(out).toMatch(
      /image "ghcr\.io\/origo\/origo@sha256:0{64}" still has the all-zero placeholder digest/,
    );
    expect(out).toContain('(Deployment/web container web)');
    expect(out).toContain('NOT releasable (4 problems)');
    // The pinned image of the CronJob is fine.
    expect(out).not.toContain('origo:1.4.0');
  });

  it('passes an image pinned by version and digest, read from standard input', () => {
    const result = cli('release-check-cli.ts', ['--manifest', '-'], pod(PINNED));
    expect(result.stderr).toContain('every image pinned by a release digest');
    expect(result.status).toBe(0);
  });

  it('refuses latest even with a digest, and an image with neither tag nor digest', () => {
    expect(releaseProblems(parseManifests(pod(PINNED.replace(':1.4.0', ':latest'))))).toEqual([
      expect.stringMatching(/uses the latest tag/),
    ]);
    expect(releaseProblems(parseManifests(pod('nginx')))).toEqual([
      expect.stringMatching(/^image "nginx" uses the latest tag/),
      expect.stringMatching(/^image "nginx" is not pinned by digest/),
    ]);
  });

  it('answers --help with its usage, and a wrong option with exit 2', () => {
    expect(cli('release-check-cli.ts', ['--help'])).toMatchObject({ status: 0 });
    expect(cli('release-check-cli.ts', ['--help']).stderr).toContain('usage: npm run release-check');
    expect(cli('release-check-cli.ts', ['--nope']).status).toBe(2);
  });
});

describe.skipIf(missingTools('kubectl') !== undefined)('policy check of any kustomize folder', () => {
  it('lists every violation of a careless overlay and exits 1 (npm run policy, from the repository root)', () => {
    const result = run(
      'npm',
      ['run', '--silent', 'policy', '-w', '@origo/deploy', '--', 'deploy/test/fixtures/bad-overlay'],
      {
        cwd: REPO_ROOT,
      },
    );
    expect(result.status, result.stderr).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines.every((l) => l.startsWith('deploy/test/fixtures/bad-overlay: Deployment/web ['))).toBe(true);
    const rules = new Set(lines.map((l) => /\[([\w-]+)\]/.exec(l)?.[1]));
    expect([...rules].sort()).toEqual(['image-digest', 'no-host-network', 'no-latest', 'probes']);
    expect(result.stdout).toContain('no readinessProbe');
    expect(result.stdout).toContain('no livenessProbe');
    expect(result.stdout).toContain('"nginx:latest"');
    expect(result.stderr).toContain('5 violations');
  });

  it('reports a network path the policies refuse', () => {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: n }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: '${PINNED}'
          env: [{ name: API_URL, value: 'http://api:80' }]
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: n }
spec:
  selector: { app: api }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: n }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers: [{ name: api, image: '${PINNED}', ports: [{ containerPort: 8080 }] }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny, namespace: n }
spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
`;
    const result = cli('policy-cli.ts', ['--manifest', '-'], manifest);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      'Deployment/web [network-path] API_URL=http://api:80: egress to Deployment/api port 8080',
    );
  });

  it('passes the prod overlay with nothing to report', () => {
    const result = cli('policy-cli.ts', ['k8s/overlays/prod']);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/k8s\/overlays\/prod: \d+ objects, no violations/);
    expect(result.status).toBe(0);
  });
});
