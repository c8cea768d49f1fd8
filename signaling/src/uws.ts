// Loads the native uWebSockets.js binding on purpose. The package's own entry silently falls back to
// a `ws`-based shim when its binary does not load, which would hide a broken deployment behind a
// slower, differently behaving server; here a missing or unloadable binary is a start-up error.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as uWS from 'uWebSockets.js';

export type Uws = typeof uWS;
export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocket } from 'uWebSockets.js';

let loaded: Uws | undefined;

/** Name of the binary this process needs, e.g. `uws_linux_x64_115.node`. */
export function uwsBinaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

export function loadUws(): Uws {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve('uWebSockets.js/package.json'));
  } catch (err) {
    throw new Error(
      'uWebSockets.js is not installed (npm install in the repository root); signaling cannot start',
      { cause: err },
    );
  }
  const binary = join(packageDir, 'binaries', uwsBinaryName());
  if (!existsSync(binary)) {
    let available = '';
    try {
      available = readdirSync(join(packageDir, 'binaries'))
        .filter((f) => f.endsWith('.node'))
        .join(', ');
    } catch {
      available = 'none';
    }
    throw new Error(
      `uWebSockets.js has no native binary ${uwsBinaryName()} for Node ${process.version} (ABI ${process.versions.modules}) ` +
        `on ${process.platform}/${process.arch} in ${packageDir}/binaries (available: ${available}); refusing the ws fallback`,
    );
  }
  try {
    loaded = require(binary) as Uws;
  } catch (err) {
    throw new Error(
      `uWebSockets.js native binary ${binary} failed to load (${err instanceof Error ? err.message : String(err)}); refusing the ws fallback`,
      { cause: err },
    );
  }
  return loaded;
}
