import { fileURLToPath } from 'node:url';

/** The deploy/ folder and the repository root, from this file's location. */
export const DEPLOY_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
