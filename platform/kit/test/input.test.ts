// Control characters and crafted cursors are refused at the edge with a 400 naming the field
// (issue 11, findings 1 and 2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  controlCharacterProblem,
  createHttpService,
  createLogger,
  createMetrics,
  cursorPart,
  decodeCursor,
  encodeCursor,
  findControlCharacters,
  type HttpService,
} from '../src/index.js';

describe('controlCharacterProblem', () => {
  it('refuses NUL, other C0 controls, DEL, C1 controls and lone surrogates', () => {
    for (const bad of [
      'a\u0000b',
      '\u0001',
      'x\u001b[31m',
      'del\u007f',
      'c1\u0080',
      'csi\u009b31m',
      'lone \ud800 surrogate',
      '\udfff',
    ]) {
      expect(controlCharacterProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
  });

  it('accepts ordinary text, emoji pairs and, in multi-line text only, tab and line breaks', () => {
    expect(controlCharacterProblem('Grüße, 東京 \u{1f600}')).toBeNull();
    expect(controlCharacterProblem('line one\r\n\tline two', { multiline: true })).toBeNull();
    expect(controlCharacterProblem('line one\nline two')).not.toBeNull();
    expect(controlCharacterProblem('nul\u0000', { multiline: true })).not.toBeNull();
  });

  it('names nested fields and bad object keys, and survives deep nesting', () => {
    const found = findControlCharacters({ a: [{ b: 'ok' }, { c: 'x\u0000' }], 'k\u0000': 1 });
    expect(found).toHaveLength(2);
    expect(found).toContainEqual({ field: 'a.1.c', message: 'must not contain control characters' });
    expect(found).toContainEqual({
      field: '"k\\u0000"',
      message: 'name must not contain control characters',
    });
    let deep: unknown = 'bad\u0000';
    for (let i = 0; i < 200_000; i += 1) deep = [deep];
    expect(findControlCharacters(deep)).toHaveLength(1);
  });
});

describe('cursors', () => {
  const schema = z.tuple([cursorPart.timestamp, cursorPart.text]);
  const serial = z.tuple([cursorPart.serial]);
  const raw = (value: string) => Buffer.from(value).toString('base64url');

  it('round-trips what encodeCursor wrote', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const [decodedAt, id] = decodeCursor(encodeCursor([at.toISOString(), 'mtg_1']), schema);
    expect(decodedAt.getTime()).toBe(at.getTime());
    expect(id).toBe('mtg_1');
    expect(decodeCursor(encodeCursor([42]), serial)).toEqual([42]);
  });

  it.each([
    ['a fraction', raw('[1.5]'), serial],
    ['an infinite number', raw('[1e400]'), serial],
    ['zero', raw('[0]'), serial],
    ['a number beyond 2^53', raw('[9007199254740993]'), serial],
    ['a string for a number', raw('["1"]'), serial],
    ['not a date', raw('["not a date","x"]'), schema],
    ['an impossible date', raw('["2026-13-45T00:00:00.000Z","x"]'), schema],
    ['a NUL in the id', raw('["2026-01-02T03:04:05.678Z","a\\u0000b"]'), schema],
    ['an empty id', raw('["2026-01-02T03:04:05.678Z",""]'), schema],
    ['too many parts', raw('["2026-01-02T03:04:05.678Z","x","y"]'), schema],
    ['an object', raw('{"a":1}'), schema],
    ['not JSON', raw('{'), schema],
    ['not base64url', '!!!', schema],
    ['empty', '', schema],
  ])('refuses %s with a 400 naming the cursor', (_name, cursor, cursorSchema: z.ZodType) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor, cursorSchema);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({
      code: 'INVALID_ARGUMENT',
      violations: [{ field: 'cursor', message: 'is not a cursor this API issued' }],
    });
  });
});

describe('createHttpService refuses control characters in any input', () => {
  let http: HttpService;
  let base: string;
  const reached: unknown[] = [];

  beforeAll(async () => {
    http = createHttpService({
      service: 'test',
      logger: createLogger({ service: 'test', level: 'silent' }),
      metrics: createMetrics('input_test', { defaultMetrics: false }),
    });
    http.app.post('/things/:id', async (request) => {
      reached.push(request.body);
      return { ok: true };
    });
    http.app.post('/files/*', async (request) => {
      reached.push(request.body);
      return { ok: true };
    });
    base = (await http.listen(0)).url;
  });

  afterAll(async () => {
    await http.close();
  });

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };

  it.each([
    ['a body field', '/things/1', { title: 'a\u0000b' }, 'title'],
    ['a nested body field', '/things/1', { items: [{ name: '\u0007' }] }, 'items.0.name'],
    ['a query parameter', '/things/1?q=%00', {}, 'q'],
    ['a query parameter with a line break', '/things/1?q=a%0Ab', {}, 'q'],
    ['a path parameter', '/things/%00', {}, 'id'],
    ['a wildcard path, as the path', '/files/a/%00', {}, 'path'],
  ])('refuses %s with 400 problem+json naming it', async (_name, path, body, field) => {
    reached.length = 0;
    const response = await post(path, body);
    expect(response.status).toBe(400);
    expect(response.type).toContain('application/problem+json');
    expect(response.body['errors']).toEqual([{ field, message: expect.any(String) as string }]);
    expect(reached).toEqual([]);
  });

  it('lets tab and line breaks through in body text', async () => {
    const response = await post('/things/1', { description: 'one\r\n\ttwo' });
    expect(response.status).toBe(200);
  });
});
