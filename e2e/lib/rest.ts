// REST calls from inside a page, with its session cookie, the way the page's own code makes them.
import type { Page } from 'playwright-core';
import type { Json } from './crowd.js';

/** A REST call with the page's session, as the page's own code makes it. */
export async function call(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  return page.evaluate(
    async (req) => {
      const r = await fetch(req.path, {
        method: req.method,
        headers: {
          accept: 'application/json',
          ...(req.body === undefined
            ? {}
            : { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() }),
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
      });
      const text = await r.text();
      return { status: r.status, body: (text === '' ? {} : JSON.parse(text)) as Json };
    },
    { method, path, body },
  );
}

export async function ok(page: Page, method: string, path: string, body?: unknown): Promise<Json> {
  const r = await call(page, method, path, body);
  if (r.status < 200 || r.status > 299)
    throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
