// fetch against the same-origin gateway: the session is the HttpOnly cookie, errors are RFC 9457
// problem documents turned into ApiError with the server's detail and per-field messages.

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string | undefined,
    readonly fields: FieldError[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      ...(signal ? { signal } : {}),
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(
      0,
      'The server cannot be reached. Check your connection and try again.',
      'network',
      [],
    );
  }
  if (res.status === 204 || (res.status === 202 && res.headers.get('content-length') === '0'))
    return undefined as T;
  const text = await res.text();
  let json: unknown = undefined;
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) {
    const doc = (json ?? {}) as { detail?: string; title?: string; reason?: string; errors?: FieldError[] };
    const fields = Array.isArray(doc.errors) ? doc.errors : [];
    const message = doc.detail ?? doc.title ?? `Request failed (${res.status})`;
    throw new ApiError(res.status, message, doc.reason, fields);
  }
  return json as T;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.fields.length > 0)
      return `${error.message}: ${error.fields.map((f) => `${f.field} ${f.message}`).join('; ')}`;
    return error.message;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}
