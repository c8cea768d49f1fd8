import { z } from 'zod';
import { AppError, zodViolations } from '@origo/kit';
import { auditFilterQuery } from '@origo/kit/db';
import { ORG_ROLES } from '../rbac.js';
import { MAX_PAGE_SIZE } from '../pagination.js';
import { passwordProblem } from '../password.js';

// An empty address is "required", not "not an e-mail address"; the pipe stops at the first failing part.
export const email = z
  .string({ error: 'must be a string' })
  .max(254, 'must be at most 254 characters')
  .trim()
  .min(1, 'is required')
  .pipe(z.email({ error: 'must be an e-mail address' }));

// The policy (length in code points, common passwords) is checked by the domain; this bound only keeps
// absurd inputs away from argon2.
export const password = z
  .string({ error: 'must be a string' })
  .min(1, 'is required')
  .max(1024, 'is too long');
export const displayName = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'is required')
  .max(100, 'must be at most 100 characters');
export const orgName = displayName;
export const token = z.string({ error: 'must be a string' }).min(1, 'is required').max(128, 'is too long');
export const orgRole = z.enum(ORG_ROLES, { error: `must be one of ${ORG_ROLES.join(', ')}` });

/** Optional on the form: a blank name is the same as none (the account's own default name is used). */
const optionalOrgName = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  orgName.optional(),
);

export const signUpBody = z.strictObject({
  email,
  password,
  displayName,
  organizationName: optionalOrgName,
});
/**
 * Parses a body that chooses the password of a new account (sign-up, accepting an invitation). When
 * another field is refused, the 400 also carries the password policy's verdict (too short, too common,
 * the e-mail address), so a person sees every problem at once instead of learning of the password's only
 * after fixing the rest. A body that passes goes on to the domain, which applies the policy itself.
 */
export function parseNewAccountBody<S extends z.ZodObject>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const violations = zodViolations(result.error, schema);
  const body = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const password = body['password'];
  if (typeof password === 'string' && !violations.some((v) => v.field === 'password')) {
    const email = typeof body['email'] === 'string' ? body['email'] : undefined;
    const problem = passwordProblem(password, email);
    if (problem !== null) {
      // In the body's field order, as zod reports the others.
      const keys = Object.keys(schema.shape);
      const rank = (field: string) => {
        const i = keys.indexOf(field.split('.')[0] ?? '');
        return i === -1 ? keys.length : i;
      };
      const after = violations.findIndex((v) => rank(v.field) > rank('password'));
      violations.splice(after === -1 ? violations.length : after, 0, { field: 'password', message: problem });
    }
  }
  throw AppError.invalid('Invalid request', violations);
}

export const signInBody = z.strictObject({ email, password });
export const tokenBody = z.strictObject({ token });
export const resetRequestBody = z.strictObject({ email });
export const resetConfirmBody = z.strictObject({ token, password });
export const updateMeBody = z.strictObject({ displayName });
export const changePasswordBody = z.strictObject({ currentPassword: password, newPassword: password });
export const createOrgBody = z.strictObject({ name: orgName });
export const updateOrgBody = z.strictObject({ name: orgName });
export const addMemberBody = z.strictObject({ email, role: orgRole });
export const changeRoleBody = z.strictObject({ role: orgRole });

export const pageQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
    .default(50),
  cursor: z.string().max(512, 'is too long').optional(),
});
export const searchQuery = pageQuery.extend({
  q: z.string().max(100, 'must be at most 100 characters').optional(),
});
/** An audit listing: a page, narrowed by actor, action prefix, target entity id and time range. */
export const auditQuery = pageQuery.extend(auditFilterQuery);

/** How long GET /api/auth/session/wait holds the request: under the gateway's 30 s upstream timeout. */
export const sessionWaitQuery = z.strictObject({
  wait_seconds: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(25, 'must be at most 25')
    .default(25),
});
