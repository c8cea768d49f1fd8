// The policy check of deploy/test/manifests.test.ts for any kustomize folder or rendered manifest:
// schema validation, the pod policy (probes, limits, non-root, read-only root, no host network, pinned
// images) and the network paths (every in-cluster address a workload is configured with must be allowed
// by the NetworkPolicies). Prints every violation, one a line; exit 1 when there is any.
//   npm run policy -w @origo/deploy [-- <kustomize dir>... | --manifest <rendered.yaml>]
import { networkProblems } from './network.js';
import { policyViolations } from './policy.js';
import { schemaProblems } from './schema.js';
import { UsageError, sourcesFrom } from './sources.js';

const USAGE = `usage: npm run policy -w @origo/deploy [-- <kustomize dir>... | --manifest <file|->]
Renders each folder with kubectl kustomize and prints every schema, pod policy and network path violation.
Without arguments: every overlay in deploy/k8s/overlays. Exit 1 when anything is violated.`;

let failed = false;
try {
  const sources = sourcesFrom(process.argv.slice(2));
  if (!sources) {
    console.error(USAGE);
    process.exit(0);
  }
  for (const source of sources) {
    const objects = source.load();
    const lines = [
      ...(await Promise.all(objects.map(schemaProblems))).flat().map((p) => `[schema] ${p}`),
      ...policyViolations(objects).map((v) => `${v.object} [${v.rule}] ${v.message}`),
      ...networkProblems(objects).map(
        (p) => `${p.object} [network-path] ${p.variable}=${p.address}: ${p.message}`,
      ),
    ];
    for (const line of lines) process.stdout.write(`${source.label}: ${line}\n`);
    if (lines.length > 0) failed = true;
    console.error(
      `${source.label}: ${objects.length} objects, ${lines.length === 0 ? 'no violations' : `${lines.length} violation${lines.length === 1 ? '' : 's'}`}`,
    );
  }
} catch (err) {
  console.error(err instanceof UsageError ? `${err.message}\n${USAGE}` : `policy: ${(err as Error).message}`);
  process.exit(2);
}
process.exit(failed ? 1 : 0);
