import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@origo/kit';
import { controlMeetingLookup } from '../src/meeting-access.js';

describe("control's meeting lookup as other services see it", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // Answers as control's GET /api/meetings/:id does, by the id asked for.
    server = createServer((req, res) => {
      const status = Number(/\/api\/meetings\/s(\d{3})$/.exec(req.url ?? '')?.[1] ?? 200);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ org_id: 'org_a', host_id: 'usr_h' }) : '{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("maps control's answers to errors a caller can act on", async () => {
    const lookup = controlMeetingLookup(() => Promise.resolve(url));
    await expect(lookup('ok', {})).resolves.toEqual({ orgId: 'org_a', hostId: 'usr_h' });
    // A malformed id is a meeting that does not exist, not an outage.
    await expect(lookup('s400', {})).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    await expect(lookup('s404', {})).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    await expect(lookup('s401', {})).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED });
    await expect(lookup('s403', {})).rejects.toMatchObject({ code: ErrorCode.PERMISSION_DENIED });
    await expect(lookup('s502', {})).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
  });
});
