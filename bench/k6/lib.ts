// Shared helpers of the k6 scripts: the REST calls of the platform (auth, control), typed.
// k6 runs TypeScript directly (k6 >= 0.57; older: `--compatibility-mode=experimental_enhanced`).
import { check, fail } from 'k6';
import http from 'k6/http';

export const BASE_URL = __ENV.BASE_URL ?? 'http://127.0.0.1:8080';
const JSON_HEADERS = { 'content-type': 'application/json' };

export interface Account {
  email: string;
  password: string;
}

/** Creates an account (ignored when it exists) so a run needs nothing but a fresh server. */
export function signUp(a: Account, displayName: string): void {
  const res = http.post(`${BASE_URL}/api/auth/sign-up`, JSON.stringify({ ...a, displayName }), {
    headers: JSON_HEADERS,
    tags: { name: 'sign-up' },
  });
  check(res, { 'sign-up 201 or 409': (r) => r.status === 201 || r.status === 409 });
}

/** Signs in; the session cookie lands in the VU's cookie jar and rides on later requests. */
export function signIn(a: Account): boolean {
  const res = http.post(`${BASE_URL}/api/auth/sign-in`, JSON.stringify(a), {
    headers: JSON_HEADERS,
    tags: { name: 'sign-in' },
  });
  return check(res, { 'sign-in 200': (r) => r.status === 200 });
}

export function createMeeting(title: string): string {
  const res = http.post(
    `${BASE_URL}/api/meetings`,
    JSON.stringify({ title, kind: 'instant', participant_cap: 1000 }),
    {
      headers: JSON_HEADERS,
      tags: { name: 'create-meeting' },
    },
  );
  if (!check(res, { 'create meeting 201': (r) => r.status === 201 })) return '';
  const id = res.json('id');
  return typeof id === 'string' ? id : '';
}

export interface JoinGrant {
  token: string;
  signalingUrl: string;
}

export function joinToken(meetingId: string, name: string): JoinGrant | null {
  const res = http.post(`${BASE_URL}/api/meetings/${meetingId}/join`, JSON.stringify({ name }), {
    headers: JSON_HEADERS,
    tags: { name: 'join-token' },
  });
  const ok = check(res, {
    'join 200': (r) => r.status === 200,
    'join token present': (r) => typeof r.json('token') === 'string',
  });
  if (!ok) return null;
  return { token: String(res.json('token')), signalingUrl: String(res.json('signaling_url')) };
}

export function accountFor(vu: number): Account {
  return { email: `bench-${vu}@bench.origo.test`, password: __ENV.BENCH_PASSWORD ?? 'bench-password-Long-1' };
}

export function mustHave<T>(v: T | null | undefined | '', what: string): T {
  if (v === null || v === undefined || v === '') fail(`${what} missing`);
  return v as T;
}
