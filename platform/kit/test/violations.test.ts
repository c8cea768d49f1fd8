// A number out of range gets one 400 message naming the field and what it accepts, whatever the number
// looked like on the wire (issue: 1e309 and 99999999999999999999 gave two misleading messages).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createHttpService,
  createLogger,
  createMetrics,
  describeNumber,
  parseOrThrow,
  type HttpService,
} from '../src/index.js';

const body = z.object({
  duration_minutes: z.int().min(1).max(1440).optional(),
  ratio: z.number().positive().optional(),
  items: z.array(z.object({ count: z.int().min(0).max(9) })).optional(),
  title: z.string().min(1).optional(),
});

describe('describeNumber', () => {
  it('names the range a number schema accepts', () => {
    expect(describeNumber(z.int().min(1).max(1440))).toBe('a whole number from 1 to 1440');
    expect(describeNumber(z.number().int().min(2))).toBe('a whole number at least 2');
    expect(describeNumber(z.number().positive())).toBe('a number greater than 0');
    expect(describeNumber(z.int())).toBe('a whole number');
    expect(describeNumber(z.string())).toBeNull();
  });
});

describe('a number field out of range over HTTP', () => {
  let http: HttpService;
  let base: string;

  beforeAll(async () => {
    http = createHttpService({
      service: 'test',
      logger: createLogger({ service: 'test', level: 'silent' }),
      metrics: createMetrics('violations_test', { defaultMetrics: false }),
    });
    http.app.post('/things', async (request) => {
      parseOrThrow(body, request.body, 'Invalid request body');
      return { ok: true };
    });
    base = (await http.listen(0)).url;
  });

  afterAll(async () => {
    await http.close();
  });

  /** Raw JSON text, so numbers beyond what JSON.stringify writes (1e309) reach the server as typed. */
  const post = async (json: string) => {
    const response = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it.each([
    ['1e309 (Infinity once parsed)', '1e309'],
    ['-1e309', '-1e309'],
    ['99999999999999999999 (beyond 2^53)', '99999999999999999999'],
    ['2000', '2000'],
    ['0', '0'],
    ['1.5', '1.5'],
    ['a string', '"60"'],
  ])('answers %s with one message naming the field and its range', async (_name, value) => {
    const response = await post(`{"duration_minutes":${value}}`);
    expect(response.status).toBe(400);
    expect(response.body['errors']).toEqual([
      { field: 'duration_minutes', message: 'must be a whole number from 1 to 1440' },
    ]);
  });

  it('names nested number fields and leaves other fields as they were', async () => {
    const response = await post('{"items":[{"count":1e309}],"ratio":-1,"title":""}');
    expect(response.status).toBe(400);
    expect(response.body['errors']).toEqual([
      { field: 'ratio', message: 'must be a number greater than 0' },
      { field: 'items.0.count', message: 'must be a whole number from 0 to 9' },
      { field: 'title', message: expect.stringMatching(/>=1 characters/) as string },
    ]);
  });

  it('accepts numbers in range', async () => {
    expect((await post('{"duration_minutes":1440,"ratio":0.5}')).status).toBe(200);
  });
});
