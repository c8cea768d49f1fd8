import { describe, expect, it } from 'vitest';
import { deviceKey } from './deviceKey.js';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
  };
}

describe('deviceKey', () => {
  it('creates a 256-bit base64url key once and returns the same one afterwards', () => {
    const storage = memoryStorage();
    const first = deviceKey(storage);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(deviceKey(storage)).toBe(first);
    expect(deviceKey(memoryStorage())).not.toBe(first);
  });

  it('replaces a stored value that is not a key, and keeps one in memory when storage throws', () => {
    const storage = memoryStorage();
    storage.setItem('origo.deviceKey', 'x');
    expect(deviceKey(storage)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const refusing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => undefined,
    };
    expect(deviceKey(refusing)).toBe(deviceKey(refusing));
  });
});
