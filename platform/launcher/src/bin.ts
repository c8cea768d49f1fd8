#!/usr/bin/env node
import { runLauncher } from './launcher.js';
import { ROLES } from './roles.js';

process.on('uncaughtException', (err) => {
  // Components contain their own failures; reaching here means state is unknown, so stop loudly.
  process.stderr.write(`origo: fatal: ${err.stack ?? err.message}\n`);
  process.exit(70);
});

await runLauncher({ argv: process.argv.slice(2), env: process.env, roles: ROLES });
