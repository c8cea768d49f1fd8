#!/usr/bin/env node
import { runLauncher } from './launcher.js';
import { ROLES } from './roles.js';

process.on('uncaughtException', (err) => {
  // Components contain their own failures; reaching here means state is unknown, so stop loudly.
  process.stderr.write(`origo: fatal: ${err.stack ?? err.message}\n`);
  process.exit(70);
});

process.on('unhandledRejection', (reason) => {
  // A promise nobody handled failed (lint refuses floating promises in src, so this is a bug): say which,
  // with its stack, then stop like an uncaught exception, so a supervisor restarts a known state.
  const detail = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
  process.stderr.write(`origo: fatal: unhandled rejection: ${detail}\n`);
  process.exit(70);
});

await runLauncher({ argv: process.argv.slice(2), env: process.env, roles: ROLES });
