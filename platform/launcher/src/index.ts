export { SHUTDOWN_BUDGET_MS, parseArgs, runLauncher, type LauncherOptions } from './launcher.js';
export { ROLES } from './roles.js';
