// Hostile-input walker for HTTP services: every route, one hostile value at a time in a path parameter,
// a query parameter or a body field (NUL and other control characters, huge and fractional numbers,
// crafted paging cursors, wrong types), the rest of the request left valid so the value reaches as deep
// as it can. The caller asserts that no response is a 5xx (issue 11).

type JsonSchema = Record<string, unknown>;

export interface FuzzOperation {
  method: string;
  /** fastify form: `/api/meetings/:id`. */
  url: string;
  /** Query parameters the route reads, with their JSON Schema when known. */
  query: Record<string, JsonSchema>;
  /** A valid body to start from (undefined: the route takes none). */
  body?: unknown;
  /** JSON Schema of the body, when known; fields are sampled from it and mutated one by one. */
  bodySchema?: JsonSchema;
}

export interface FuzzRequest {
  method: string;
  url: string;
  /** Raw JSON text (it may hold literals JSON.stringify cannot write, such as 1e400). */
  payload?: string;
  what: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** Strings no field should take, or should take without a 5xx. */
export const HOSTILE_STRINGS: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u001b[2J\u007f',
  '\ud800',
  'x'.repeat(5000),
  '',
  ' ',
  '../../etc/passwd',
  "' OR 1=1 --",
  '9'.repeat(40),
];

/** Raw JSON values (text), for numbers and wrong types. */
export const HOSTILE_JSON: readonly string[] = [
  '1e400',
  '-1e400',
  '1e308',
  '9223372036854775808',
  '-9223372036854775809',
  '9007199254740993',
  '1.5',
  '-1',
  '0',
  'null',
  'true',
  '[]',
  '{}',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
  '{"a":{"b":{"c":"\\u0000"}}',
  '"\\u0000"',
];

/** Query values (already URL-encoded). */
export const HOSTILE_QUERY: readonly string[] = [
  '%00',
  'a%00b',
  '%1B%5B2J',
  '%ED%A0%80',
  '%FF%FE',
  '1e400',
  '-1',
  '1.5',
  '99999999999999999999999999',
  'x'.repeat(3000),
  '',
  `${b64('[1.5]')}`,
  `${b64('[1e400]')}`,
  `${b64('["not a date","x"]')}`,
  `${b64('["2026-01-01T00:00:00.000Z","\\u0000"]')}`,
  `${b64('["\\u0000"]')}`,
  `${b64('[null,null]')}`,
  `${b64('{"a":1}')}`,
  '!!!',
];

/** Path parameter values (URL-encoded), tried in place of the known-good one. */
export const HOSTILE_PATH: readonly string[] = [
  '%00',
  'a%00b',
  '%1B',
  '%ED%A0%80',
  '1e400',
  '-1',
  '99999999999999999999999999',
  'x'.repeat(300),
  '%20',
  '..%2F..',
];

/** A value valid for a (simple) JSON Schema: enough to get past validation to the field under test. */
export function sampleValue(schema: JsonSchema | undefined, depth = 0): unknown {
  if (schema === undefined || depth > 6) return 'x';
  if ('default' in schema) return schema['default'];
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  if ('const' in schema) return schema['const'];
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const chosen =
        (options as JsonSchema[]).find((o) => o['type'] !== 'null') ?? (options[0] as JsonSchema);
      return sampleValue(chosen, depth + 1);
    }
  }
  const type = Array.isArray(schema['type'])
    ? (schema['type'] as string[]).find((t) => t !== 'null')
    : schema['type'];
  switch (type) {
    case 'string': {
      const format = schema['format'];
      if (format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (format === 'email') return 'fuzz@example.com';
      if (format === 'uri' || format === 'url') return 'https://example.com/';
      const min = typeof schema['minLength'] === 'number' ? schema['minLength'] : 1;
      return 'x'.repeat(Math.max(1, min));
    }
    case 'integer':
    case 'number': {
      const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : 1;
      return Math.max(
        min,
        typeof schema['exclusiveMinimum'] === 'number' ? schema['exclusiveMinimum'] + 1 : min,
      );
    }
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object': {
      const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema['required'] ?? []) as string[]);
      const out: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(properties))
        if (required.has(name)) out[name] = sampleValue(property, depth + 1);
      return out;
    }
    default:
      return 'x';
  }
}

/** The operations of an OpenAPI 3.1 document (path, query and JSON body schemas). */
export function operationsFromOpenApi(doc: Record<string, unknown>): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  const paths = (doc['paths'] ?? {}) as Record<string, Record<string, JsonSchema>>;
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = (operation['parameters'] ?? []) as JsonSchema[];
      const query: Record<string, JsonSchema> = {};
      for (const p of parameters)
        if (p['in'] === 'query') query[p['name'] as string] = (p['schema'] ?? {}) as JsonSchema;
      const content = (operation['requestBody'] as JsonSchema | undefined)?.['content'] as
        Record<string, JsonSchema> | undefined;
      const bodySchema = content?.['application/json']?.['schema'] as JsonSchema | undefined;
      operations.push({
        method: method.toUpperCase(),
        url: path.replace(/\{([^}]+)\}/g, ':$1'),
        query,
        ...(bodySchema === undefined ? {} : { bodySchema }),
      });
    }
  }
  return operations;
}

function fillPath(url: string, params: Record<string, string>, override?: [string, string]): string {
  return url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) =>
    override !== undefined && override[0] === name ? override[1] : encodeURIComponent(params[name] ?? 'x'),
  );
}

function queryString(entries: Array<[string, string]>): string {
  return entries.length === 0 ? '' : `?${entries.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

/**
 * The hostile requests for one operation. `params` holds known-good path values (a real meeting id),
 * `baseQuery` query values that must stay valid (an org id), `extraQuery` names to try even when the
 * route does not declare them.
 */
export function hostileRequests(
  operation: FuzzOperation,
  known: { params?: Record<string, string>; baseQuery?: Record<string, string>; extraQuery?: string[] } = {},
): FuzzRequest[] {
  const params = known.params ?? {};
  const baseQuery = Object.entries(known.baseQuery ?? {}).filter(
    ([name]) => name in operation.query || (known.extraQuery ?? []).includes(name),
  );
  const method = operation.method;
  const takesBody = method !== 'GET' && method !== 'DELETE';
  const baseBody = (operation.body ?? (takesBody ? (sampleValue(operation.bodySchema) ?? {}) : undefined)) as
    Record<string, unknown> | undefined;
  const basePayload = baseBody === undefined ? undefined : JSON.stringify(baseBody);
  const goodUrl = fillPath(operation.url, params);
  const requests: FuzzRequest[] = [];
  const add = (url: string, payload: string | undefined, what: string) =>
    requests.push({ method, url, ...(payload === undefined ? {} : { payload }), what });

  for (const name of [...operation.url.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string)) {
    for (const value of HOSTILE_PATH)
      add(
        `${fillPath(operation.url, params, [name, value])}${queryString(baseQuery)}`,
        basePayload,
        `path ${name}=${value.slice(0, 20)}`,
      );
  }

  const queryNames = new Set([...Object.keys(operation.query), ...(known.extraQuery ?? [])]);
  for (const name of queryNames) {
    const others = baseQuery.filter(([n]) => n !== name);
    for (const value of HOSTILE_QUERY)
      add(
        `${goodUrl}${queryString([...others, [name, value]])}`,
        basePayload,
        `query ${name}=${value.slice(0, 20)}`,
      );
    add(
      `${goodUrl}${queryString([...others, [name, 'a'], [name, 'b']])}`,
      basePayload,
      `query ${name} twice`,
    );
  }

  if (baseBody !== undefined) {
    const url = `${goodUrl}${queryString(baseQuery)}`;
    for (const raw of ['null', '[]', '"\\u0000"', '1e400', '{"__proto__":{"x":1}}', '{'])
      add(url, raw, `body ${raw}`);
    const fields = new Set([
      ...Object.keys(baseBody),
      ...Object.keys((operation.bodySchema?.['properties'] ?? {}) as Record<string, unknown>),
    ]);
    for (const field of fields) {
      for (const value of HOSTILE_STRINGS)
        add(
          url,
          JSON.stringify({ ...baseBody, [field]: value }),
          `body ${field}=${JSON.stringify(value).slice(0, 20)}`,
        );
      for (const raw of HOSTILE_JSON) {
        const marker = '__origo_fuzz_marker__';
        const text = JSON.stringify({ ...baseBody, [field]: marker }).replace(`"${marker}"`, raw);
        add(url, text, `body ${field}=${raw.slice(0, 20)}`);
      }
    }
  }
  return requests;
}

export interface FuzzFailure {
  request: FuzzRequest;
  status: number;
  body: string;
}

/**
 * Sends every hostile request of every operation through `send` (fastify's inject, or fetch) one at a
 * time and returns those answered with a 5xx.
 */
export async function fuzzOperations(
  operations: readonly FuzzOperation[],
  send: (request: FuzzRequest) => Promise<{ status: number; body: string }>,
  known: Parameters<typeof hostileRequests>[1] = {},
): Promise<{ sent: number; failures: FuzzFailure[] }> {
  const failures: FuzzFailure[] = [];
  let sent = 0;
  for (const operation of operations) {
    for (const request of hostileRequests(operation, known)) {
      const response = await send(request);
      sent += 1;
      if (response.status >= 500)
        failures.push({ request, status: response.status, body: response.body.slice(0, 300) });
    }
  }
  return { sent, failures };
}
