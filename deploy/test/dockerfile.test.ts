// The image's build-stage cleanup (deploy/docker/Dockerfile), run on a sample tree: the workspaces'
// src/ and test/ folders and *.tsbuildinfo files go, dependencies in any node_modules stay. And the files
// the Dockerfile's comments point to exist.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIR, REPO_ROOT } from './lib/paths.js';

const DOCKERFILE = readFileSync(join(DEPLOY_DIR, 'docker', 'Dockerfile'), 'utf8');

describe('Dockerfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'origo-dockerfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('removes sources, tests and build info after the build, and keeps every dependency', () => {
    const finds = DOCKERFILE.split('\n')
      .map((line) => /^\s*&&\s*(find \. .*?)\s*\\?$/.exec(line)?.[1])
      .filter((cmd): cmd is string => cmd !== undefined);
    expect(finds.length).toBeGreaterThanOrEqual(2);
    const files = [
      'platform/kit/src/index.ts',
      'platform/kit/test/a.test.ts',
      'platform/kit/dist/index.js',
      'platform/kit/tsconfig.build.tsbuildinfo',
      'platform/kit/dist/.tsbuildinfo',
      'deploy/dist/turn/probe-cli.js',
      'node_modules/debug/src/index.js',
      'node_modules/pkg/types.tsbuildinfo',
      'platform/recording/node_modules/dep/src/index.js',
    ];
    for (const file of files) {
      mkdirSync(join(dir, dirname(file)), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
    execFileSync('sh', ['-c', finds.join(' && ')], { cwd: dir });
    const left = files.filter((f) => existsSync(join(dir, f)));
    expect(left).toEqual([
      'platform/kit/dist/index.js',
      'deploy/dist/turn/probe-cli.js',
      'node_modules/debug/src/index.js',
      'node_modules/pkg/types.tsbuildinfo',
      'platform/recording/node_modules/dep/src/index.js',
    ]);
  });

  it('points its comments at files that exist', () => {
    const mentioned = [...DOCKERFILE.matchAll(/\(([.\w/-]+\.json)\)/g)].map((m) => m[1]!);
    expect(mentioned).toContain('.github/renovate.json');
    for (const file of mentioned) expect(existsSync(join(REPO_ROOT, file)), file).toBe(true);
  });
});
