// A list that admin tabs read page by page (meetings, audit events, the outbox).
import { createSignal, type Accessor, type Setter } from 'solid-js';
import { errorText } from '../../api/http.js';

/** One page of a list and the cursor of the next, null after the last. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/**
 * A list read page by page: `load()` starts again from the first page, `load(cursor)` appends the next.
 * `error` holds why the last load failed (a tab may also set it for its own checks).
 */
export function createPagedList<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): {
  items: Accessor<T[]>;
  cursor: Accessor<string | null>;
  loading: Accessor<boolean>;
  error: Accessor<string | null>;
  setError: Setter<string | null>;
  load: (from?: string) => Promise<void>;
  /** Empties the list (a filter that could not be applied shows no rows, not the last filter's). */
  clear: () => void;
} {
  const [items, setItems] = createSignal<T[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(true);
  const [error, setError] = createSignal<string | null>(null);
  const load = async (from?: string) => {
    setLoading(true);
    setError(null);
    try {
      const page = await fetchPage(from);
      setItems((before) => (from === undefined ? page.items : [...before, ...page.items]));
      setCursor(page.next);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  };
  const clear = () => {
    setItems([]);
    setCursor(null);
  };
  return { items, cursor, loading, error, setError, load, clear };
}
