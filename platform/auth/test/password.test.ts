import { parseOptions } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@origo/kit';
import { authConfigSchema } from '../src/config.js';
import { PasswordHasher, PRODUCTION_ARGON2, commonPasswordList, passwordProblem } from '../src/password.js';

describe('password policy and hashing', () => {
  it('ships a common-password list of a few hundred entries', () => {
    const list = commonPasswordList();
    expect(list.size).toBeGreaterThan(300);
    for (const p of ['password', '12345678', 'qwertyuiop', 'iloveyou', 'p@ssw0rd'])
      expect(list.has(p)).toBe(true);
  });

  it('applies length, common-password and e-mail rules', () => {
    expect(passwordProblem('short')).toMatch(/at least 8/);
    expect(passwordProblem('x'.repeat(257))).toMatch(/at most 256/);
    expect(passwordProblem('Password123')).toMatch(/too common/);
    expect(passwordProblem('ann@example.com', 'Ann@Example.com')).toMatch(/e-mail/);
    expect(passwordProblem('correct horse battery staple', 'ann@example.com')).toBeNull();
    // Length counts characters, not UTF-16 units.
    expect(passwordProblem('\u{1F600}'.repeat(7))).toMatch(/at least 8/);
  });

  it('hashes with argon2id at the production cost by default', async () => {
    const hasher = new PasswordHasher();
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash.startsWith('$argon2id$')).toBe(true);
    const options = parseOptions(hash);
    expect(options.memoryCost).toBe(PRODUCTION_ARGON2.memoryCost);
    expect(PRODUCTION_ARGON2.memoryCost).toBeGreaterThanOrEqual(19456);
    expect(options.timeCost).toBeGreaterThanOrEqual(2);
    expect(options.parallelism).toBe(1);
    expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(hash, 'wrong')).toBe(false);
    expect(await hasher.verify('not a hash', 'x')).toBe(false);
  });
});

describe('configuration', () => {
  it('defaults to safe values', () => {
    const config = loadConfig(authConfigSchema, {});
    expect(config.AUTH_COOKIE_SECURE).toBe(true);
    expect(config.AUTH_ACCESS_TOKEN_TTL_SECONDS).toBe(600);
    expect(config.AUTH_SIGNING_ALG).toBe('EdDSA');
  });

  it('names the variable when OIDC is half configured or a value is out of range', () => {
    expect(() => loadConfig(authConfigSchema, { OIDC_ISSUER: 'https://idp.example' })).toThrow(ConfigError);
    expect(() => loadConfig(authConfigSchema, { OIDC_ISSUER: 'https://idp.example' })).toThrow(
      /OIDC_CLIENT_ID/,
    );
    expect(() => loadConfig(authConfigSchema, { AUTH_ACCESS_TOKEN_TTL_SECONDS: '3600' })).toThrow(
      /AUTH_ACCESS_TOKEN_TTL_SECONDS/,
    );
  });
});
