#!/usr/bin/env node
// The `origo` command as npm links it (npx origo ...): runs the built launcher, or says how to build it.
// npm links a bin only when its file exists at install time, and dist/ does not exist before a build.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'origo: the launcher is not built yet: run "npm run build" (npm start builds it too)\n',
  );
  process.exit(1);
}
await import(entry.href);
