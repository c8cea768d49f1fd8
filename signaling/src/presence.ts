// Presence of signed-in participants (`@origo/control/presence`): in a meeting while their session lives on
// this node, away while their page says it is hidden. Written at join, refreshed on a timer (service.ts)
// for as long as the session lives (through a resume grace too), removed when it ends; a node that dies
// stops refreshing and its entries expire by themselves. Guests have no presence. A failed write is
// logged and never holds up a join, a request or a leave.
import { isUserIdentity, type PresenceStore } from '@origo/control/presence';
import type { NodeContext } from './context.js';
import type { Session } from './session.js';

interface Shown {
  away: boolean;
  /** Writes of this session, one after the other, so a removal is never overtaken by a late write. */
  chain: Promise<void>;
}

const source = (session: Session): string => `meeting:${session.sid}`;

export class PresenceWriter {
  private readonly shown = new WeakMap<Session, Shown>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly store: PresenceStore,
  ) {}

  /** A signed-in participant joined: in the meeting from now. */
  joined(session: Session): void {
    if (!isUserIdentity(session.claims.identity)) return;
    this.shown.set(session, { away: false, chain: Promise.resolve() });
    this.write(session);
  }

  /** The participant's page was hidden for a while (true) or is shown again (false). */
  setAway(session: Session, away: boolean): void {
    const shown = this.shown.get(session);
    if (shown === undefined || shown.away === away) return;
    shown.away = away;
    this.write(session);
  }

  /** Refreshes every live signed-in session of this node, before their entries expire. */
  refresh(): void {
    for (const session of this.ctx.sessionsById.values()) if (!session.closed) this.write(session);
  }

  /** The session ended. */
  left(session: Session): void {
    const shown = this.shown.get(session);
    if (shown === undefined) return;
    this.shown.delete(session);
    this.enqueue(session, shown, () => this.store.remove(session.claims.identity, source(session)));
  }

  private write(session: Session): void {
    const shown = this.shown.get(session);
    if (shown === undefined) return;
    this.enqueue(session, shown, () =>
      this.store.put(session.claims.identity, source(session), {
        state: shown.away ? 'away' : 'in_meeting',
        meetingId: session.room.name,
      }),
    );
  }

  private enqueue(session: Session, shown: Shown, work: () => Promise<void>): void {
    shown.chain = shown.chain.then(work).catch((err: unknown) => {
      this.ctx.logger.warn({ err, participant_sid: session.sid }, 'presence not written');
    });
  }
}
