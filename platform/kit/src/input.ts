// The one place that keeps characters the database cannot store (U+0000) or that no text field means
// (other C0 controls, DEL, the C1 controls U+0080-U+009F, lone UTF-16 surrogates) out of every service. createHttpService runs
// `assertCleanRequest` on each request before its handler; cursors and other values decoded by hand go
// through `controlCharacterProblem` (see cursor.ts).
import { AppError, type FieldViolation } from './errors.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Tab, line feed and carriage return are text in a multi-line value (a description, an agenda).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// With the u flag a valid surrogate pair is one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** How many offending fields one problem document lists; the rest add nothing for the caller. */
const MAX_VIOLATIONS = 20;

/**
 * Why a string cannot be accepted, or null when it can. `multiline` allows tab, line feed and carriage
 * return; every other C0 control character, DEL and the C1 controls are refused, and so is text that is not well-formed
 * UTF-16 (a lone surrogate has no UTF-8 encoding).
 */
export function controlCharacterProblem(value: string, options: { multiline?: boolean } = {}): string | null {
  const pattern = options.multiline === true ? CONTROL_EXCEPT_WHITESPACE : ANY_CONTROL;
  if (pattern.test(value)) {
    return options.multiline === true
      ? 'must not contain control characters other than tab and line breaks'
      : 'must not contain control characters';
  }
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode text';
  return null;
}

/**
 * Every string (values and object keys) in a decoded value that `controlCharacterProblem` refuses, as
 * field violations named by their path (`title`, `participants.0.email`). Iterative, so a deeply nested
 * body cannot overflow the stack.
 */
export function findControlCharacters(
  value: unknown,
  options: { multiline?: boolean; prefix?: string } = {},
): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const stack: Array<{ path: string; value: unknown }> = [{ path: options.prefix ?? '', value }];
  const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);
  while (stack.length > 0 && violations.length < MAX_VIOLATIONS) {
    const item = stack.pop() as { path: string; value: unknown };
    const current = item.value;
    if (typeof current === 'string') {
      const problem = controlCharacterProblem(current, options);
      if (problem !== null) violations.push({ field: item.path, message: problem });
    } else if (ArrayBuffer.isView(current)) {
      // Raw bodies (octet streams) are bytes, not text fields.
      continue;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i -= 1)
        stack.push({ path: join(item.path, String(i)), value: current[i] });
    } else if (typeof current === 'object' && current !== null) {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i] as string;
        const keyProblem = controlCharacterProblem(key);
        if (keyProblem !== null) {
          // The key itself is the bad input; name it without the offending characters.
          violations.push({ field: join(item.path, JSON.stringify(key)), message: `name ${keyProblem}` });
          continue;
        }
        stack.push({ path: join(item.path, key), value: (current as Record<string, unknown>)[key] });
      }
    }
  }
  return violations;
}

/**
 * Refuses a request whose path parameters, query or body carry characters no field accepts: 400
 * problem+json naming each field. Path and query values are single-line; body strings may hold tab and
 * line breaks (descriptions), which single-line schemas refuse on their own where it matters.
 */
export function assertCleanRequest(request: { params: unknown; query: unknown; body: unknown }): void {
  const violations = [
    // A wildcard route's parameter is named `*` by the router; to the caller it is the path.
    ...findControlCharacters(request.params).map((v) =>
      v.field === '*' || v.field.startsWith('*.') ? { ...v, field: `path${v.field.slice(1)}` } : v,
    ),
    ...findControlCharacters(request.query),
    ...findControlCharacters(request.body, { multiline: true }),
  ].slice(0, MAX_VIOLATIONS);
  if (violations.length > 0) throw AppError.invalid('Invalid characters in the request', violations);
}
