// The signaling URL handed out with join tokens: SIGNALING_PUBLIC_URL when a deployment sets it (one public
// entry in front of several signaling nodes), whatever host the REST call came through; otherwise `/ws` on
// the caller's host. A value that is not a ws(s) URL stops the role with the variable named.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@origo/kit';
import { controlConfigSchema, settingsFromEnv } from '../src/config.js';
import { backends, meetingBody, startHarness, type Harness } from './helpers.js';

describe('SIGNALING_PUBLIC_URL', () => {
  it('is read from the environment, and refused with the variable named when it is not ws(s)', () => {
    const env = { SIGNALING_PUBLIC_URL: 'wss://signal.example.org/ws' };
    expect(settingsFromEnv(loadConfig(controlConfigSchema, env)).signalingUrl).toBe(
      'wss://signal.example.org/ws',
    );
    expect(settingsFromEnv(loadConfig(controlConfigSchema, {})).signalingUrl).toBeUndefined();
    expect(() =>
      loadConfig(controlConfigSchema, { SIGNALING_PUBLIC_URL: 'https://signal.example.org/ws' }),
    ).toThrow(/SIGNALING_PUBLIC_URL/);
  });
});

describe('the join reply with SIGNALING_PUBLIC_URL set', () => {
  const backend = backends[0]!;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, `sigurl${randomUUID().slice(0, 6)}`, {
      signalingUrl: 'wss://signal.example.org/ws',
    });
  });
  afterAll(async () => {
    await h?.close();
    await backend.cleanup();
  });

  it('hands out the configured URL, not the host the request came through', async () => {
    const created = await h.call(h.users.host, 'POST', '/api/meetings', meetingBody({ org_id: h.orgA }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const callers: Array<Record<string, string>> = [
      {},
      { 'x-forwarded-host': 'node-b.internal:8080', 'x-forwarded-proto': 'http' },
    ];
    for (const headers of callers) {
      const response = await h.call(h.users.member, 'POST', `/api/meetings/${id}/join`, {}, headers);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body.signaling_url).toBe('wss://signal.example.org/ws');
    }
  });
});
