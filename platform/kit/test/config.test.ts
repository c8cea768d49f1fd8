import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, commonConfigSchema, env, loadConfig } from '../src/config.js';

const schema = z.object({
  PORT: env.port(8080),
  WORKERS: env.int(2, 1, 64),
  SIGNALING_URL: env.url(['ws', 'wss']),
  TURN_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  LOBBY: env.bool(false),
});

describe('loadConfig', () => {
  it('applies defaults and coerces values', () => {
    const config = loadConfig(schema, { SIGNALING_URL: 'ws://localhost:1', LOBBY: 'yes', WORKERS: '4' });
    expect(config).toEqual({ PORT: 8080, WORKERS: 4, SIGNALING_URL: 'ws://localhost:1', LOBBY: true });
  });

  it('names the variable and the problem for a bad value', () => {
    expect(() => loadConfig(schema, { SIGNALING_URL: 'ws://x', PORT: 'eighty' })).toThrowError(
      /^Invalid configuration: PORT is invalid: must be a port number/,
    );
    expect(() => loadConfig(schema, { SIGNALING_URL: 'ws://x', PORT: '70000' })).toThrowError(
      'Invalid configuration: PORT is invalid: must be between 0 and 65535 (got "70000")',
    );
    expect(() => loadConfig(schema, { SIGNALING_URL: 'ws://x', WORKERS: '0' })).toThrowError(
      /WORKERS is invalid: must be at least 1/,
    );
  });

  it('names a missing required variable', () => {
    const error = (() => {
      try {
        loadConfig(schema, {});
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('SIGNALING_URL');
    expect((error as Error).message).toBe('Invalid configuration: SIGNALING_URL is required but not set');
  });

  it('treats an empty string as unset', () => {
    expect(loadConfig(schema, { SIGNALING_URL: 'wss://a', PORT: '' }).PORT).toBe(8080);
  });

  it('never echoes a secret-looking value', () => {
    expect(() => loadConfig(schema, { SIGNALING_URL: 'ws://x', TURN_SECRET: 'short-secret' })).toThrowError(
      'Invalid configuration: TURN_SECRET is invalid: must be at least 16 characters',
    );
    expect(() => loadConfig(commonConfigSchema, { DATABASE_URL: 'mysql://user:hunter2@db/x' })).toThrowError(
      /^Invalid configuration: DATABASE_URL is invalid: must be a URL starting with postgres:\/\/ or postgresql:\/\/$/,
    );
  });

  it('reads the common variables', () => {
    const common = loadConfig(commonConfigSchema, {
      LOG_LEVEL: 'debug',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(common).toMatchObject({
      ORIGO_DATA: resolve('data'),
      LOG_LEVEL: 'debug',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    // A relative data folder is made absolute against the working directory, once, for every role.
    expect(loadConfig(commonConfigSchema, { ORIGO_DATA: 'var/origo' }).ORIGO_DATA).toBe(resolve('var/origo'));
    expect(loadConfig(commonConfigSchema, { ORIGO_DATA: '/srv/origo' }).ORIGO_DATA).toBe('/srv/origo');
    expect(() => loadConfig(commonConfigSchema, { LOG_LEVEL: 'loud' })).toThrowError(
      /^Invalid configuration: LOG_LEVEL is invalid/,
    );
  });
});
