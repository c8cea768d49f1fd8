// One participant joined through this node: its socket (or the outbox kept while the socket is down),
// its claims, its tracks, and the queue that runs its requests one at a time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ParticipantState, type ParticipantInfo, type SignalResponse } from '@origo/proto/signal';
import type { LocalRoom } from './room.js';
import type { JoinClaims } from './token.js';
import { SessionTracks } from './tracks.js';

/** One WebSocket as the domain sees it. */
export interface ClientLink {
  send(message: SignalResponse): void;
  close(code: number, reason: string): void;
  /** Called as the session is bound to this link, before the join reply goes out. */
  bind(session: Session): void;
}

/** Called with a queued task's failure: the queue goes on with the next task. */
export type TaskFailure = (err: unknown, task: string, session: Session) => void;

const OUTBOX_LIMIT = 512;

export function newId(prefix: string): string {
  return `${prefix}${randomBytes(9).toString('base64url')}`;
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export class Session {
  readonly sessionId = newId('SE_');
  readonly info: ParticipantInfo;
  readonly tracks: SessionTracks;
  /** Track sids this participant is subscribed to (auto-subscribe bookkeeping). */
  readonly subscribed = new Set<string>();
  link: ClientLink | undefined;
  closed = false;
  graceTimer: NodeJS.Timeout | undefined;
  /** Renewal of the join token (tokens.ts). */
  refreshTimer: NodeJS.Timeout | undefined;
  /** The session's current join token, its issue and expiry times (ms). */
  token: string;
  tokenIssuedAtMs: number;
  tokenExpiresAtMs: number;
  /** Others (and control) were told this participant joined. */
  announced = false;
  private resumeHash: Buffer;
  private readonly outbox: SignalResponse[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly room: LocalRoom,
    readonly claims: JoinClaims,
    token: string,
    resumeSecret: string,
    private readonly onTaskFailure: TaskFailure,
  ) {
    this.token = token;
    this.tokenIssuedAtMs = claims.issuedAtMs;
    this.tokenExpiresAtMs = claims.expiresAt * 1000;
    this.resumeHash = hashSecret(resumeSecret);
    const sid = newId('PA_');
    this.tracks = new SessionTracks(sid);
    this.info = {
      sid,
      identity: claims.identity,
      name: claims.name,
      state: ParticipantState.PARTICIPANT_STATE_JOINING,
      tracks: [],
      permission: {
        canPublish: claims.grants.publish,
        canSubscribe: claims.grants.subscribe,
        canPublishSources: [],
        canModerate: claims.grants.host,
      },
      joinedAt: Date.now(),
      isHost: claims.grants.host,
      away: false,
    };
  }

  get sid(): string {
    return this.info.sid;
  }

  renewToken(token: string, issuedAtMs: number, expiresAtMs: number): void {
    this.token = token;
    this.tokenIssuedAtMs = issuedAtMs;
    this.tokenExpiresAtMs = expiresAtMs;
  }

  /** Re-reads the live tracks into the participant info others see. */
  refreshTracks(): void {
    this.info.tracks = this.tracks.live();
  }

  /** Sends now, or keeps it for the resumed socket while the socket is down. */
  send(message: SignalResponse): void {
    if (this.closed) return;
    if (this.link) {
      this.link.send(message);
      return;
    }
    this.outbox.push(message);
    if (this.outbox.length > OUTBOX_LIMIT) this.outbox.shift();
  }

  attach(link: ClientLink): void {
    this.link = link;
    for (const message of this.outbox.splice(0)) link.send(message);
  }

  checkResume(secret: string): boolean {
    const given = hashSecret(secret);
    return given.length === this.resumeHash.length && timingSafeEqual(given, this.resumeHash);
  }

  rotateResume(secret: string): void {
    this.resumeHash = hashSecret(secret);
  }

  /**
   * Runs work of this participant one task at a time, in arrival order (an offer before its trickle). A
   * failing task is reported and isolated: the queue never rejects and the next task still runs.
   */
  enqueue(task: string, work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((err: unknown) => this.onTaskFailure(err, task, this));
  }

  /** Resolves when every task queued so far has run (tests and shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }
}
