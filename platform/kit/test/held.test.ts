// Held: what a role opened, released newest first, once; all of it when the start fails halfway.
import { describe, expect, it } from 'vitest';
import { Held } from '../src/held.js';

describe('Held', () => {
  it('releases newest first, once, however often it is asked', async () => {
    const held = new Held();
    const order: string[] = [];
    const db = held.add({ name: 'db' }, (r) => {
      order.push(r.name);
    });
    held.add('bus', async (r) => {
      order.push(r);
    });
    expect(db.name).toBe('db');
    await Promise.all([held.releaseAll(), held.releaseAll()]);
    await held.releaseAll();
    expect(order).toEqual(['bus', 'db']);
    expect(() => held.add('late', () => undefined)).toThrow(/after releaseAll/);
  });

  it('runs every release when one fails, and reports the first failure', async () => {
    const held = new Held();
    const order: string[] = [];
    held.add('a', () => {
      order.push('a');
    });
    held.add('b', () => {
      throw new Error('b failed');
    });
    held.add('c', () => {
      throw new Error('c failed');
    });
    await expect(held.releaseAll()).rejects.toThrow('c failed');
    expect(order).toEqual(['a']);
  });

  it('releases what a failed start had opened and throws the start error', async () => {
    const held = new Held();
    const order: string[] = [];
    await expect(
      held.during(async () => {
        held.add('db', () => {
          order.push('db');
        });
        held.add('bus', () => {
          throw new Error('bus close failed');
        });
        throw new Error('listen failed');
      }),
    ).rejects.toThrow('listen failed');
    expect(order).toEqual(['db']);
    await expect(held.during(async () => 42)).resolves.toBe(42);
  });
});
