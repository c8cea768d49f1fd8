// The release smoke test: through the public entry, sign in, create an instant meeting, take a join token
// and join the room over the WebSocket, as the browser does. Leaves nothing behind but the ended meeting.
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

export interface SmokeOptions {
  /** Public URL of the gateway, e.g. https://meet.example.com. */
  url: string;
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

  const call = async (
    step: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> => {
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          origin: base,
          'idempotency-key': randomUUID(),
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
    log(`${step}: HTTP ${response.status}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  if (options.signUp)
    await call('sign-up', 'POST', '/api/auth/sign-up', {
      email: options.email,
      password: options.password,
      displayName: 'Smoke test',
      organizationName: 'Smoke test',
    });
  await call('sign-in', 'POST', '/api/auth/sign-in', { email: options.email, password: options.password });
  const meeting = await call('create meeting', 'POST', '/api/meetings', {
    title: 'Release smoke test',
    kind: 'instant',
  });
  const meetingId = String(meeting['id'] ?? '');
  if (!meetingId) throw new SmokeError('create meeting', 'no meeting id in the answer');
  const join = await call('join token', 'POST', `/api/meetings/${meetingId}/join`, {});
  const token = join['token'];
  if (typeof token !== 'string' || join['status'] !== 'ready')
    throw new SmokeError('join token', `no join token (status ${String(join['status'])})`);
  const wsUrl =
    typeof join['signaling_url'] === 'string' ? join['signaling_url'] : `${base.replace(/^http/, 'ws')}/ws`;

  const started = performance.now();
  const sessionId = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { origin: base } });
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
