// zod issues as the field violations a caller reads in a 400. zod reports one issue per failed check,
// so one bad number can come back as several messages that each tell half the story (99999999999999999999
// is "too big for a safe integer" and "too big for 1440"; 1e309 parses to Infinity, "expected number,
// received Infinity", with no range at all). A number field gets one message instead, naming what it
// accepts, read from the schema.
import type { z } from 'zod';
import type { FieldViolation } from './errors.js';

/** Bounds of z.int() that say "no bound was given", not a limit a person chose. */
const SAFE = Number.MAX_SAFE_INTEGER;

interface ZodInternals {
  _zod: {
    def: {
      type: string;
      innerType?: z.ZodType;
      shape?: Record<string, z.ZodType>;
      element?: z.ZodType;
      in?: z.ZodType;
      format?: string;
      checks?: Array<{ _zod: { def: { check?: string; value?: unknown; inclusive?: boolean } } }>;
    };
  };
}

const defOf = (schema: z.ZodType): ZodInternals['_zod']['def'] =>
  (schema as unknown as ZodInternals)._zod.def;

/** The schema that validates `path` inside `schema`, through objects, arrays and wrappers; null if unsure. */
export function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | null {
  let current: z.ZodType | undefined = schema;
  let i = 0;
  for (let guard = 0; current !== undefined && guard < 64; guard++) {
    const def = defOf(current);
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'nonoptional':
        current = def.innerType;
        continue;
      case 'pipe':
        current = def.in;
        continue;
    }
    if (i === path.length) return current;
    const key = path[i++];
    if (def.type === 'object' && typeof key === 'string') current = def.shape?.[key];
    else if (def.type === 'array' && typeof key === 'number') current = def.element;
    else return null;
  }
  return null;
}

/** "a whole number from 1 to 1440", "a number greater than 0": what a number schema accepts. */
export function describeNumber(schema: z.ZodType): string | null {
  const def = defOf(schema);
  if (def.type !== 'number') return null;
  const int = def.format === 'safeint' || def.format === 'int32' || def.format === 'uint32';
  let min: { value: number; inclusive: boolean } | null = null;
  let max: { value: number; inclusive: boolean } | null = null;
  let wholeByCheck = false;
  for (const c of def.checks ?? []) {
    const d = c._zod.def as { check?: string; value?: unknown; inclusive?: boolean; format?: string };
    if (d.check === 'number_format' && d.format === 'safeint') wholeByCheck = true;
    if (typeof d.value !== 'number') continue;
    const bound = { value: d.value, inclusive: d.inclusive !== false };
    if (d.check === 'greater_than' && (min === null || bound.value >= min.value)) min = bound;
    if (d.check === 'less_than' && (max === null || bound.value <= max.value)) max = bound;
  }
  const whole = int || wholeByCheck;
  const noun = whole ? 'a whole number' : 'a number';
  if (min !== null && Math.abs(min.value) >= SAFE) min = null;
  if (max !== null && Math.abs(max.value) >= SAFE) max = null;
  if (min !== null && max !== null && min.inclusive && max.inclusive)
    return `${noun} from ${min.value} to ${max.value}`;
  const parts: string[] = [];
  if (min !== null) parts.push(min.inclusive ? `at least ${min.value}` : `greater than ${min.value}`);
  if (max !== null) parts.push(max.inclusive ? `at most ${max.value}` : `less than ${max.value}`);
  return parts.length === 0 ? noun : `${noun} ${parts.join(' and ')}`;
}

/**
 * One violation per field. Issues on a field whose schema is a number become a single "must be ..."
 * naming the accepted range (whatever went wrong: too big, Infinity, a fraction, a string); other issues
 * pass through as zod words them.
 */
export function zodViolations(error: z.ZodError, schema?: z.ZodType): FieldViolation[] {
  const out: FieldViolation[] = [];
  const numeric = new Set<string>();
  for (const issue of error.issues) {
    const field = issue.path.map(String).join('.');
    const target = schema === undefined ? null : schemaAt(schema, issue.path);
    const accepted = target === null ? null : describeNumber(target);
    if (accepted === null || issue.code === 'custom') {
      out.push({ field, message: issue.message });
      continue;
    }
    if (numeric.has(field)) continue;
    numeric.add(field);
    out.push({ field, message: `must be ${accepted}` });
  }
  return out;
}
