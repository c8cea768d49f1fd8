// The release smoke test: through the public entry, sign in, create an instant meeting, take a join token
// and join the room over the WebSocket, as the browser does. Leaves nothing behind but the ended meeting.
// During a rollout it aims at the new version: `target` names the role being released and the URL of its
// canary (or blue/green preview) Service, and the steps that role answers go there instead of the public
// entry (auth: sign-in; control: the meeting and its join token; signaling: the WebSocket; gateway: every
// step). The target's /health/ready must answer 200 first, which is all a role off that path is checked for.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export class SmokeError extends Error {
  override readonly name = 'SmokeError';
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
  }
}

/** The roles a smoke target can name. */
export const SMOKE_ROLES = [
  'auth',
  'control',
  'signaling',
  'gateway',
  'sfu',
  'chat',
  'notification',
  'recording',
  'billing',
] as const;
export type SmokeRole = (typeof SMOKE_ROLES)[number];

export interface SmokeTarget {
  /** The role being released. */
  role: SmokeRole;
  /** Where its new version answers: its canary or preview Service, e.g. http://control-canary:8080. */
  url: string;
}

export interface SmokeOptions {
  /** Public URL of the gateway, e.g. https://meet.example.com. */
  url: string;
  /** The new version of one role, reached directly for the steps it answers. */
  target?: SmokeTarget;
  email: string;
  password: string;
  /** Create the account first (test installations only). */
  signUp?: boolean;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface SmokeResult {
  meetingId: string;
  sessionId: string;
  steps: Array<{ step: string; ms: number }>;
}

export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const log = options.log ?? (() => undefined);
  const steps: SmokeResult['steps'] = [];
  let cookie = '';
  const target = options.target
    ? { role: options.target.role, url: options.target.url.replace(/\/+$/, '') }
    : undefined;
  /** Where a step answered by `role` goes: the target when it is that role (or the gateway), else the entry. */
  const baseFor = (role: SmokeRole): string =>
    target && (target.role === role || target.role === 'gateway') ? target.url : base;
  // Reached directly, a role sees the public host as the gateway would forward it (same-origin checks).
  const publicHost = new URL(base).host;
  const forwarded = (url: string): Record<string, string> =>
    url === base
      ? {}
      : { 'x-forwarded-host': publicHost, 'x-forwarded-proto': new URL(base).protocol.slice(0, -1) };

  if (target) {
    const started = performance.now();
    let status: number;
    try {
      const response = await fetch(`${target.url}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
      status = response.status;
      await response.body?.cancel();
    } catch (err) {
      throw new SmokeError('target ready', `${target.role} at ${target.url}: ${(err as Error).message}`);
    }
    if (status !== 200)
      throw new SmokeError(
        'target ready',
        `${target.role} at ${target.url}/health/ready answered HTTP ${status}`,
      );
    steps.push({ step: 'target ready', ms: Math.round(performance.now() - started) });
    log(`target ready: ${target.role} at ${target.url}`);
  }

  const call = async (
    step: string,
    role: SmokeRole,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> => {
    const started = performance.now();
    const at = baseFor(role);
    let response: Response;
    try {
      response = await fetch(`${at}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          origin: base,
          'idempotency-key': randomUUID(),
          ...forwarded(at),
          ...(cookie ? { cookie } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new SmokeError(step, (err as Error).message);
    }
    const setCookie = response.headers.getSetCookie();
    if (setCookie.length > 0) cookie = setCookie.map((c) => c.split(';')[0]).join('; ');
    const text = await response.text();
    if (!response.ok) throw new SmokeError(step, `HTTP ${response.status}: ${text.slice(0, 300)}`);
    steps.push({ step, ms: Math.round(performance.now() - started) });
    log(`${step}: HTTP ${response.status}${at === base ? '' : ` from ${at}`}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  if (options.signUp)
    await call('sign-up', 'auth', 'POST', '/api/auth/sign-up', {
      email: options.email,
      password: options.password,
      displayName: 'Smoke test',
      organizationName: 'Smoke test',
    });
  await call('sign-in', 'auth', 'POST', '/api/auth/sign-in', {
    email: options.email,
    password: options.password,
  });
  const meeting = await call('create meeting', 'control', 'POST', '/api/meetings', {
    title: 'Release smoke test',
    kind: 'instant',
  });
  const meetingId = String(meeting['id'] ?? '');
  if (!meetingId) throw new SmokeError('create meeting', 'no meeting id in the answer');
  const join = await call('join token', 'control', 'POST', `/api/meetings/${meetingId}/join`, {});
  const token = join['token'];
  if (typeof token !== 'string' || join['status'] !== 'ready')
    throw new SmokeError('join token', `no join token (status ${String(join['status'])})`);
  const wsBase = baseFor('signaling');
  const wsUrl =
    wsBase !== base
      ? `${wsBase.replace(/^http/, 'ws')}/ws`
      : typeof join['signaling_url'] === 'string'
        ? join['signaling_url']
        : `${base.replace(/^http/, 'ws')}/ws`;

  const started = performance.now();
  const sessionId = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { origin: base, ...forwarded(wsBase) } });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new SmokeError('join room', `no join response within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('open', () => ws.send(JSON.stringify({ requestId: 'join', join: { token } })));
    ws.on('message', (data) => {
      let message: Record<string, { sessionId?: string; message?: string; code?: string }>;
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        return;
      }
      if (message['joinResponse']) {
        clearTimeout(timer);
        ws.send(JSON.stringify({ requestId: '', leave: {} }));
        ws.close(1000);
        resolve(message['joinResponse'].sessionId ?? '');
      } else if (message['error']) {
        clearTimeout(timer);
        ws.close();
        reject(
          new SmokeError(
            'join room',
            `${message['error'].code ?? ''} ${message['error'].message ?? ''}`.trim(),
          ),
        );
      }
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(new SmokeError('join room', err.message));
    });
  });
  steps.push({ step: 'join room', ms: Math.round(performance.now() - started) });
  log(`join room: session ${sessionId}`);
  return { meetingId, sessionId, steps };
}
