import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { BusConnectionError, createBusKv } from '@origo/kit/bus';

describe('createBusKv with bad configuration', () => {
  let silent: Server | undefined;
  const sockets = new Set<Socket>();

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  });

  it('names REDIS_URL, without the password, when Redis refuses the connection', async () => {
    const error: unknown = await createBusKv({ redisUrl: 'redis://:hunter2-secret@127.0.0.1:1' }).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(BusConnectionError);
    const message = (error as Error).message;
    expect(message).toMatch(/^REDIS_URL: cannot connect to redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).not.toContain('hunter2-secret');
  });

  it('gives up within the connect timeout when the server never answers', async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new TypeError('no TCP address');
    const error: unknown = await createBusKv({
      redisUrl: `redis://127.0.0.1:${address.port}`,
      connectTimeoutMs: 300,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BusConnectionError);
    expect((error as Error).message).toMatch(/^REDIS_URL: cannot connect to redis:\/\/127\.0\.0\.1:\d+/);
  });

  it('rejects a REDIS_URL that is not a Redis URL', async () => {
    await expect(createBusKv({ redisUrl: 'not a url' })).rejects.toThrow(/^REDIS_URL is not a valid URL/);
    await expect(createBusKv({ redisUrl: 'http://u:pw@host:6379' })).rejects.toThrow(
      'REDIS_URL must start with redis:// or rediss://, got http://u:***@host:6379/',
    );
  });

  it('rejects invalid options with a TypeError', async () => {
    await expect(createBusKv({ namespace: '' })).rejects.toThrow(TypeError);
    await expect(createBusKv({ connectTimeoutMs: -1 })).rejects.toThrow(TypeError);
  });
});
