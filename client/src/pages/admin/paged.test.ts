// createPagedList: the first page replaces, the next ones append, a failure keeps what was shown.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/http.js';
import { createPagedList, type Page } from './paged.js';

describe('createPagedList', () => {
  it('starts loading, replaces on a fresh load and appends on a cursor', async () => {
    const pages: Record<string, Page<number>> = {
      first: { items: [1, 2], next: 'a' },
      a: { items: [3], next: null },
    };
    const asked: Array<string | undefined> = [];
    const list = createPagedList(async (cursor) => {
      asked.push(cursor);
      const page = pages[cursor ?? 'first'];
      if (page === undefined) throw new Error(`no page ${cursor}`);
      return page;
    });
    expect(list.loading()).toBe(true);
    await list.load();
    expect([list.items(), list.cursor(), list.loading()]).toEqual([[1, 2], 'a', false]);
    await list.load('a');
    expect([list.items(), list.cursor()]).toEqual([[1, 2, 3], null]);
    await list.load();
    expect(list.items()).toEqual([1, 2]);
    expect(asked).toEqual([undefined, 'a', undefined]);
  });

  it('keeps the rows and the cursor when a load fails, and clears the error on the next one', async () => {
    let fail = false;
    const list = createPagedList<string>(async () => {
      if (fail) throw new ApiError(503, 'Service unavailable', undefined, []);
      return { items: ['x'], next: 'n' };
    });
    await list.load();
    fail = true;
    await list.load('n');
    expect([list.items(), list.cursor(), list.loading()]).toEqual([['x'], 'n', false]);
    expect(list.error()).toBe('Service unavailable');
    fail = false;
    await list.load();
    expect(list.error()).toBeNull();
  });
});
