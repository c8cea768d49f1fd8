// The web client: files from the client build with an SPA fallback to index.html, or a placeholder page
// while no build exists.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
};

/**
 * The @origo/client package's dist/ folder, whether or not it has been built yet (the gateway checks
 * for index.html on each request, so a build made while it runs is picked up); null without the package.
 */
export function findClientDist(): string | null {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('@origo/client/package.json')), 'dist');
  } catch {
    return null;
  }
}

/** True when `dist` holds a client build. */
export function hasClientBuild(dist: string | null): dist is string {
  return dist !== null && existsSync(join(dist, 'index.html'));
}

export interface StaticFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

/**
 * Resolves a URL path inside `root`, refusing anything that escapes it. Unknown paths without a file
 * extension fall back to index.html (client-side routes); unknown assets are null (404).
 */
export async function loadStatic(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = resolve(root);
  const candidate = resolve(base, `.${sep}${normalize(decoded)}`);
  if (candidate !== base && !candidate.startsWith(base + sep)) return null;
  let file = candidate;
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    if (extname(decoded) !== '') return null;
    file = join(base, 'index.html');
  }
  const ext = extname(file).toLowerCase();
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    // Removed between the check and the read (a rebuild in progress).
    return null;
  }
  // Vite fingerprints files under assets/, so they can be cached for good; index.html never.
  const immutable = file.startsWith(join(base, 'assets') + sep);
  return {
    body,
    contentType: MIME[ext] ?? 'application/octet-stream',
    cacheControl: immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
}

export const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Origo</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head>
<body>
<h1>Origo is running</h1>
<p>The web client has not been built yet (<code>npm run build -w @origo/client</code>).</p>
<ul>
<li><a href="/api/docs">API documentation</a> (<a href="/api/docs/openapi.json">OpenAPI JSON</a>)</li>
<li><a href="/health/ready">Readiness</a></li>
</ul>
</body>
</html>
`;
