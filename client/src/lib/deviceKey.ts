// The key that makes this browser the same guest each time it joins a meeting (control derives the
// guest's identity from it), so a guest a host removed stays removed when they open the link again.
// Another browser, a private window or cleared site data gets a new key: a new guest.

const STORAGE_KEY = 'origo.deviceKey';
const SHAPE = /^[A-Za-z0-9_-]{22,128}$/;

function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

let memory: string | undefined;

/** This browser's device key, created on first use; kept in memory when storage is refused. */
export function deviceKey(storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeLocalStorage()): string {
  try {
    const stored = storage?.getItem(STORAGE_KEY);
    if (stored && SHAPE.test(stored)) return stored;
    const key = newKey();
    storage?.setItem(STORAGE_KEY, key);
    if (storage) return key;
  } catch {
    // Storage refused (some private modes): this tab keeps one key for its lifetime.
  }
  memory ??= newKey();
  return memory;
}

function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
