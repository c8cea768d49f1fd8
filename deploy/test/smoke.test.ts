// The rollout smoke test against the platform started as `npm start` runs it: a user signs up, signs in,
// creates a meeting and joins its room over the WebSocket; a wrong password fails the smoke at sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmokeError, runSmoke } from '../src/smoke/smoke.js';
import { startPlatform, type StartedPlatform } from './lib/platform.js';
import { freePort } from '../src/ports.js';

describe('release smoke test', () => {
  let platform: StartedPlatform | undefined;
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    platform = await startPlatform({
      PORT: String(port),
      ORIGO_PUBLIC_URL: url,
      AUTH_COOKIE_SECURE: 'false',
    });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('signs in, creates a meeting and joins its room', async () => {
    const result = await runSmoke({
      url,
      email: 'smoke@example.com',
      password: 'correct horse battery staple',
      signUp: true,
    });
    expect(result.meetingId).not.toBe('');
    expect(result.sessionId).not.toBe('');
    expect(result.steps.map((s) => s.step)).toEqual([
      'sign-up',
      'sign-in',
      'create meeting',
      'join token',
      'join room',
    ]);
  });

  it('fails at sign-in with a wrong password, naming the step', async () => {
    const failure = await runSmoke({
      url,
      email: 'smoke@example.com',
      password: 'not the password at all',
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmokeError);
    expect((failure as SmokeError).step).toBe('sign-in');
  });
});
