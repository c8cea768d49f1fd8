// Release gate: every overlay renders, and every image is pinned by an `@sha256:` digest that a release
// set (not the all-zero placeholder), never on the `latest` tag. Exit 1 naming each image otherwise.
//   npm run release-check -w @origo/deploy [-- <kustomize dir>... | --manifest <rendered.yaml>]
// Without arguments: every overlay in deploy/k8s/overlays.
import { releaseProblems } from './policy.js';
import { UsageError, sourcesFrom } from './sources.js';

const USAGE = `usage: npm run release-check -w @origo/deploy [-- <kustomize dir>... | --manifest <file|->]
Checks that every image is pinned by a release digest (@sha256:..., not the all-zero placeholder) and that
none uses the latest tag. Without arguments: every overlay in deploy/k8s/overlays.`;

let failed = false;
try {
  const sources = sourcesFrom(process.argv.slice(2));
  if (!sources) {
    console.error(USAGE);
    process.exit(0);
  }
  for (const source of sources) {
    const problems = releaseProblems(source.load());
    if (problems.length > 0) {
      failed = true;
      for (const problem of problems) console.error(`${source.label}: ${problem}`);
      console.error(
        `${source.label}: NOT releasable (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
      );
    } else console.error(`${source.label}: every image pinned by a release digest`);
  }
} catch (err) {
  console.error(
    err instanceof UsageError ? `${err.message}\n${USAGE}` : `release-check: ${(err as Error).message}`,
  );
  process.exit(2);
}
process.exit(failed ? 1 : 0);
