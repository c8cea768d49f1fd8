import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backends,
  Browser,
  GOOD_PASSWORD,
  signUp,
  startAuth,
  uniqueEmail,
  type Backend,
  type Harness,
} from './helpers.js';

// Small limits so the test runs fast; the same code paths as the defaults (5 / 20 / 100 per 15 min).
const throttle = { windowMs: 900_000, pairFailures: 3, emailFailures: 6, ipFailures: 10 };

describe.each(backends)('sign-in throttling ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(backend, { throttle });
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  const attempt = (email: string, ip: string, password = 'wrong password here') =>
    new Browser(h.service, ip).post('/api/auth/sign-in', { email, password });

  it('blocks an attacker hammering one account from one IP, but not the owner from their own IP', async () => {
    const { email } = await signUp(h.service);
    for (let i = 0; i < throttle.pairFailures; i += 1)
      expect((await attempt(email, '192.0.2.66')).status).toBe(401);
    const blocked = await attempt(email, '192.0.2.66', GOOD_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['content-type']).toContain('application/problem+json');
    // The owner, elsewhere, signs in normally.
    expect((await attempt(email, '192.0.2.10', GOOD_PASSWORD)).status).toBe(200);
  });

  it('locks an account attacked from many IPs with exponential back-off, except from IPs the owner used before', async () => {
    const { email } = await signUp(h.service);
    // The owner signed in from home before the attack.
    expect((await attempt(email, '192.0.2.20', GOOD_PASSWORD)).status).toBe(200);
    let ip = 0;
    for (let i = 0; i < throttle.emailFailures + 1; i += 1) {
      expect((await attempt(email, `203.0.113.${(ip += 1)}`)).status).toBe(401);
    }
    // A fresh IP, even with the right password, now waits.
    const fresh = await attempt(email, '203.0.113.200', GOOD_PASSWORD);
    expect(fresh.status).toBe(429);
    expect(Number(fresh.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The owner's known IP is not locked out.
    expect((await attempt(email, '192.0.2.20', GOOD_PASSWORD)).status).toBe(200);
  });

  it('blocks one IP spraying passwords across many accounts, without affecting other IPs', async () => {
    const { email } = await signUp(h.service);
    for (let i = 0; i < throttle.ipFailures; i += 1) {
      expect((await attempt(uniqueEmail('spray'), '198.51.100.77')).status).toBe(401);
    }
    expect((await attempt(email, '198.51.100.77', GOOD_PASSWORD)).status).toBe(429);
    expect((await attempt(email, '198.51.100.78', GOOD_PASSWORD)).status).toBe(200);
  });

  it('counts attempts on unknown accounts like real ones, so throttling reveals nothing', async () => {
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < throttle.pairFailures; i += 1)
      expect((await attempt(ghost, '192.0.2.99')).status).toBe(401);
    expect((await attempt(ghost, '192.0.2.99')).status).toBe(429);
  });

  it('a success clears the pair counter, so a user who mistypes a few times is never blocked', async () => {
    const { email } = await signUp(h.service);
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < throttle.pairFailures - 1; i += 1)
        expect((await attempt(email, '192.0.2.30')).status).toBe(401);
      expect((await attempt(email, '192.0.2.30', GOOD_PASSWORD)).status).toBe(200);
    }
  });
});

describe('sign-in while the database is unreachable', () => {
  it('answers 503 and does not count the attempts, so the user is not locked out once it is back', async () => {
    const real = backends[0]!;
    let down = false;
    // Every read of the accounts fails as postgres.js fails when PostgreSQL refuses connections.
    const flaky: Backend = {
      name: real.name,
      async open() {
        const database = await real.open();
        const db = new Proxy(database.db, {
          get(target, prop, receiver) {
            if (down && prop === 'select')
              return () => {
                throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
                  code: 'ECONNREFUSED',
                });
              };
            return Reflect.get(target, prop, receiver) as unknown;
          },
        });
        return { ...database, db };
      },
      cleanup: () => real.cleanup(),
    };
    const h = await startAuth(flaky, { throttle });
    try {
      const { email } = await signUp(h.service);
      down = true;
      for (let i = 0; i < throttle.pairFailures + 2; i += 1) {
        const during = await new Browser(h.service, '192.0.2.40').post('/api/auth/sign-in', {
          email,
          password: GOOD_PASSWORD,
        });
        expect(during.status).toBe(503);
        expect(during.headers['retry-after']).toBe('5');
        expect(during.body['detail']).toBe('The database is unavailable; try again shortly');
      }
      down = false;
      const after = await new Browser(h.service, '192.0.2.40').post('/api/auth/sign-in', {
        email,
        password: GOOD_PASSWORD,
      });
      expect(after.status, JSON.stringify(after.body)).toBe(200);
    } finally {
      await h.close();
      await flaky.cleanup();
    }
  });
});
