// People in a meeting without a browser or media, for tests that need a crowd: each joins as a guest
// with the meeting's invite link the way the page does (POST /api/meetings/:id/join for a join token,
// then `join` on the signaling socket the answer names), speaks the JSON protocol and pings as the web
// client does. Signaling counts them like anyone else: presence, the room events control counts a
// meeting's participants from, the caps.
import WebSocket from 'ws';

export type Json = Record<string, unknown>;

interface JoinAnswer {
  status: string;
  token: string;
  signaling_url: string;
  identity: string;
}

export class CrowdMember {
  readonly received: Json[] = [];
  /** Resolves when the socket closed, for any reason. */
  readonly closed: Promise<void>;
  private readonly waiters = new Set<{ match: (m: Json) => boolean; done: (m: Json) => void }>();
  private pinger: NodeJS.Timeout | undefined;

  private constructor(
    readonly name: string,
    readonly identity: string,
    private readonly ws: WebSocket,
  ) {
    ws.on('message', (data) => {
      let message: Json;
      try {
        message = JSON.parse(String(data)) as Json;
      } catch {
        return;
      }
      this.received.push(message);
      for (const w of [...this.waiters]) if (w.match(message)) w.done(message);
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.once('close', () => {
        clearInterval(this.pinger);
        resolve();
      }),
    );
  }

  /** Joins `meetingId` as a guest named `name` with the invite link's token; rejects with what refused it. */
  static async join(
    baseUrl: string,
    meetingId: string,
    inviteToken: string,
    name: string,
    deadlineMs: number,
  ): Promise<CrowdMember> {
    const res = await fetch(`${baseUrl}/api/meetings/${encodeURIComponent(meetingId)}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ name, invite_token: inviteToken }),
      signal: AbortSignal.timeout(deadlineMs),
    });
    const body = (await res.json()) as JoinAnswer & { detail?: string };
    if (res.status !== 200 || body.status !== 'ready')
      throw new Error(`${name} got no join token: HTTP ${res.status} ${JSON.stringify(body)}`);
    const ws = new WebSocket(body.signaling_url);
    const member = new CrowdMember(name, body.identity, ws);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name}: socket not open in ${deadlineMs} ms`)),
          deadlineMs,
        );
        ws.once('open', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.once('close', () => {
          clearTimeout(timer);
          reject(new Error(`${name}: socket closed before it opened`));
        });
      });
      const replied = member.next((m) => m['requestId'] === 'join', deadlineMs, 'the join reply');
      ws.send(JSON.stringify({ requestId: 'join', join: { token: body.token } }));
      const reply = await replied;
      const joined = reply['joinResponse'] as Json | undefined;
      if (joined === undefined) throw new Error(`${name} was refused by signaling: ${JSON.stringify(reply)}`);
      // Signaling closes a socket that stays silent past its idle timeout; the client pings as told.
      const every = Number(joined['pingIntervalMs'] ?? 10_000);
      member.pinger = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN)
          ws.send(JSON.stringify({ ping: { timestampMs: String(Date.now()) } }));
      }, every);
      member.pinger.unref();
      return member;
    } catch (err) {
      member.close();
      throw err;
    }
  }

  /** The first message, already received or to come, that matches. */
  next(match: (m: Json) => boolean, timeoutMs: number, what: string): Promise<Json> {
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        done: (m: Json) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `${this.name}: no ${what} in ${timeoutMs} ms; last received ${JSON.stringify(this.received.slice(-2))}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Leaves (safe to call twice): the socket closes and signaling counts the person out. */
  close(): void {
    clearInterval(this.pinger);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

/**
 * Joins `count` people named by `nameOf`, at most `concurrency` at a time. Every member that joined is
 * added to `into` as it joins, so the caller closes them all even when a later join fails.
 */
export async function joinCrowd(options: {
  baseUrl: string;
  meetingId: string;
  inviteToken: string;
  count: number;
  concurrency: number;
  nameOf: (i: number) => string;
  deadlineMs: number;
  into: CrowdMember[];
}): Promise<void> {
  let nextIndex = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    // After a failure no one else joins; the joins under way finish (and are added) before this returns.
    while (failure === undefined && nextIndex < options.count) {
      const i = nextIndex++;
      try {
        options.into.push(
          await CrowdMember.join(
            options.baseUrl,
            options.meetingId,
            options.inviteToken,
            options.nameOf(i),
            options.deadlineMs,
          ),
        );
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  if (failure !== undefined) throw failure;
}
