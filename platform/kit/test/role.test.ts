import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ADDRESS,
  AddressBook,
  ConfigError,
  createLogger,
  roleBasics,
  serviceUrl,
  type RoleContext,
} from '../src/index.js';

function context(allInOne: boolean, env: Record<string, string | undefined> = {}): RoleContext {
  return {
    common: { LOG_LEVEL: 'warn' } as RoleContext['common'],
    env,
    allInOne,
    addresses: new AddressBook(),
    secrets: undefined as unknown as RoleContext['secrets'],
    logger: createLogger({ service: 'test', level: 'silent' }),
  };
}

describe('serviceUrl', () => {
  it('uses the configured URL in either mode', async () => {
    for (const allInOne of [false, true]) {
      const url = serviceUrl(context(allInOne), 'AUTH_URL', 'http://auth:8080', ADDRESS.authHttp);
      await expect(url()).resolves.toBe('http://auth:8080');
    }
  });

  it('waits for the role in the same process when nothing is configured', async () => {
    const ctx = context(true);
    const url = serviceUrl(ctx, 'AUTH_URL', undefined, ADDRESS.authHttp);
    const answer = url();
    ctx.addresses.set(ADDRESS.authHttp, 'http://127.0.0.1:4100');
    await expect(answer).resolves.toBe('http://127.0.0.1:4100');
  });

  it('refuses to start a separate process without the variable, naming it', () => {
    expect(() => serviceUrl(context(false), 'CONTROL_URL', undefined, ADDRESS.controlHttp)).toThrow(
      new ConfigError('CONTROL_URL', 'is required but not set'),
    );
  });
});

describe('roleBasics', () => {
  const schema = z.object({ CHAT_LIMIT: z.coerce.number().int().default(5) });

  it('reads the role configuration and labels its metrics with the service', async () => {
    const basics = roleBasics(context(true, { CHAT_LIMIT: '9', LOG_LEVEL: 'error' }), 'chat', schema);
    expect(basics.config.CHAT_LIMIT).toBe(9);
    expect(basics.common.LOG_LEVEL).toBe('error');
    expect(basics.logger.level).toBe('error');
    expect(await basics.metrics.registry.metrics()).toContain('service="chat"');
  });

  it('names the variable that is invalid', () => {
    expect(() => roleBasics(context(true, { CHAT_LIMIT: 'many' }), 'chat', schema)).toThrow(/CHAT_LIMIT/);
  });
});
