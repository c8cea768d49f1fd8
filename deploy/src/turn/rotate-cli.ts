#!/usr/bin/env node
// Daily job (deploy/coturn/k8s/secret-rotation.yaml): rotates the TURN secrets in Vault when the last
// rotation is ROTATION_PERIOD_DAYS old, or creates them the first time. Prints what it did, never a secret.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from '@origo/kit';
import { initialSecrets, rotate, rotationDue, type TurnSecrets } from './rotation.js';
import { kubernetesLogin, readKv, writeKv } from './vault.js';

const schema = z.object({
  VAULT_ADDR: env.url(['http', 'https']),
  VAULT_KV_MOUNT: z.string().min(1),
  VAULT_ROLE: z.string().min(1),
  TURN_SECRET_PATH: z.string().min(1).default('turn'),
  SERVICE_ACCOUNT_TOKEN_FILE: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
});

try {
  const config = loadConfig(schema, process.env);
  const jwt = (await readFile(config.SERVICE_ACCOUNT_TOKEN_FILE, 'utf8')).trim();
  const token = await kubernetesLogin(config.VAULT_ADDR, config.VAULT_ROLE, jwt);
  const vault = { address: config.VAULT_ADDR, token, mount: config.VAULT_KV_MOUNT };
  const now = new Date();
  const stored = await readKv(vault, config.TURN_SECRET_PATH);
  if (!stored) {
    await writeKv(vault, config.TURN_SECRET_PATH, { ...initialSecrets(now) }, 0);
    console.error(`turn-secret-rotation: created previous, current and next at ${config.TURN_SECRET_PATH}`);
  } else if (rotationDue(stored.data as Partial<TurnSecrets>, now)) {
    await writeKv(
      vault,
      config.TURN_SECRET_PATH,
      { ...rotate(stored.data as Partial<TurnSecrets>, now) },
      stored.version,
    );
    console.error(
      `turn-secret-rotation: rotated ${config.TURN_SECRET_PATH} (version ${stored.version} -> ${stored.version + 1})`,
    );
  } else {
    console.error(`turn-secret-rotation: not due (last rotation ${stored.data['rotated_at'] ?? 'unknown'})`);
  }
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `turn-secret-rotation: ${(err as Error).message}`);
  process.exit(1);
}
