// The smoke Job of a rollout (deploy/rollout/analysis-templates.yaml): exit 0 when a user can sign in and
// join a room through SMOKE_URL, 1 otherwise (the analysis then aborts the rollout). SMOKE_TARGET_ROLE and
// SMOKE_TARGET_URL (both or neither) aim the steps of the role being released at its canary or preview
// Service (src/smoke/smoke.ts).
import { z } from 'zod';
import { ConfigError, env, loadConfig } from '@origo/kit';
import { SMOKE_ROLES, runSmoke } from './smoke.js';

const schema = z.object({
  SMOKE_URL: env.url(['http', 'https']),
  SMOKE_EMAIL: z.email(),
  SMOKE_PASSWORD: z.string().min(1),
  SMOKE_SIGN_UP: env.bool(false),
  SMOKE_TIMEOUT_MS: env.int(15_000, 1000, 120_000),
  SMOKE_TARGET_ROLE: z.enum(SMOKE_ROLES).optional(),
  SMOKE_TARGET_URL: env.url(['http', 'https']).optional(),
});

try {
  const config = loadConfig(schema, process.env);
  if ((config.SMOKE_TARGET_ROLE === undefined) !== (config.SMOKE_TARGET_URL === undefined))
    throw new ConfigError(
      config.SMOKE_TARGET_ROLE === undefined ? 'SMOKE_TARGET_ROLE' : 'SMOKE_TARGET_URL',
      'is required with the other SMOKE_TARGET_ setting',
    );
  const result = await runSmoke({
    url: config.SMOKE_URL,
    ...(config.SMOKE_TARGET_ROLE !== undefined && config.SMOKE_TARGET_URL !== undefined
      ? { target: { role: config.SMOKE_TARGET_ROLE, url: config.SMOKE_TARGET_URL } }
      : {}),
    email: config.SMOKE_EMAIL,
    password: config.SMOKE_PASSWORD,
    signUp: config.SMOKE_SIGN_UP,
    timeoutMs: config.SMOKE_TIMEOUT_MS,
    log: (line) => console.error(`smoke: ${line}`),
  });
  console.error(`smoke: passed (${result.steps.map((s) => `${s.step} ${s.ms} ms`).join(', ')})`);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `smoke: FAILED ${(err as Error).message}`);
  process.exit(1);
}
