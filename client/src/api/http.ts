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

/** How a form labels its fields, by the field names the server reports (`displayName` -> "Your name"). */
export type FieldLabels = Readonly<Record<string, string>>;

/** Said of a reported field that no label covers: a person cannot act on a name they never saw. */
export const UNLABELLED_FIELD_TEXT = 'Something in the form was not accepted. Reload the page and try again.';

/** "Your name" + "is required" -> "Your name is required." */
export function fieldSentence(label: string, message: string): string {
  const text = `${label} ${message.trim()}`;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * The field's problem as a sentence naming the field as the form labels it, or undefined when the error
 * says nothing about that field.
 */
export function fieldErrorText(error: unknown, field: string, labels: FieldLabels): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const found = error.fields.find((f) => f.field === field);
  if (found === undefined) return undefined;
  const label = labels[field];
  return label === undefined ? UNLABELLED_FIELD_TEXT : fieldSentence(label, found.message);
}

/**
 * What went wrong, for a person. With `labels` (a form's), field problems name each field by its label
 * ("Your name is required."), never by the server's name for it, in the order of the form's fields (the
 * order of `labels`), whatever order the server listed them in; a field the form does not label gets a
 * plain sentence instead, first.
 */
export function errorText(error: unknown, labels?: FieldLabels): string {
  if (error instanceof ApiError) {
    if (error.fields.length > 0 && labels !== undefined) {
      const order = Object.keys(labels);
      const inForm = [...error.fields].sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field));
      const sentences: string[] = [];
      for (const f of inForm) {
        const label = labels[f.field];
        const sentence = label === undefined ? UNLABELLED_FIELD_TEXT : fieldSentence(label, f.message);
        if (!sentences.includes(sentence)) sentences.push(sentence);
      }
      return sentences.join(' ');
    }
    if (error.fields.length > 0)
      return `${error.message}: ${error.fields.map((f) => `${f.field} ${f.message}`).join('; ')}`;
    return error.message;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}
