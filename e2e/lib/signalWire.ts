// What went over a page's signaling WebSockets, read from the browser's own network events (no hook in
// the client): which messages, on which socket, when. Tests use it to tell a resume of the same session
// (join with resume, `resumed`) from a rejoin (a second `joinResponse`), and to see ICE restarts (a new
// ice-ufrag in the SDP).
import type { Page, WebSocket } from 'playwright-core';

export interface WireMessage {
  /** Date.now() when the browser reported the frame. */
  at: number;
  dir: 'sent' | 'received';
  /** 1 for the first signaling socket of the page, 2 for the next... */
  socket: number;
  /** The oneof case in proto3 JSON (`join`, `joinResponse`, `resumed`, `publishOffer`...). */
  kind: string;
  body: Record<string, unknown>;
}

export interface WireSocket {
  socket: number;
  openedAt: number;
  closedAt: number | null;
}

/** Messages whose content is kept; the others (pings, stats, speakers) are counted by kind only. */
const KEEP = new Set([
  'join',
  'joinResponse',
  'resumed',
  'publishOffer',
  'publisherAnswer',
  'subscriberOffer',
  'iceRestart',
  'participantJoined',
  'participantLeft',
  'participantUpdated',
  'leave',
  'error',
]);

export class SignalWire {
  readonly messages: WireMessage[] = [];
  readonly sockets: WireSocket[] = [];

  constructor(page: Page) {
    page.on('websocket', (ws) => this.follow(ws));
  }

  private follow(ws: WebSocket): void {
    if (!new URL(ws.url()).pathname.endsWith('/ws')) return;
    const entry: WireSocket = { socket: this.sockets.length + 1, openedAt: Date.now(), closedAt: null };
    this.sockets.push(entry);
    const take = (dir: WireMessage['dir'], payload: string | Buffer) => {
      let json: unknown;
      try {
        json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
      } catch {
        return;
      }
      if (typeof json !== 'object' || json === null) return;
      const kind = Object.keys(json).find((k) => k !== 'requestId');
      if (kind === undefined) return;
      const value = (json as Record<string, unknown>)[kind];
      const body = KEEP.has(kind) && typeof value === 'object' && value !== null ? value : {};
      this.messages.push({
        at: Date.now(),
        dir,
        socket: entry.socket,
        kind,
        body: body as Record<string, unknown>,
      });
    };
    ws.on('framesent', (f) => take('sent', f.payload));
    ws.on('framereceived', (f) => take('received', f.payload));
    ws.on('close', () => {
      entry.closedAt = Date.now();
    });
  }

  of(kind: string, dir: WireMessage['dir']): WireMessage[] {
    return this.messages.filter((m) => m.kind === kind && m.dir === dir);
  }

  /** The ice-ufrag of every SDP of this kind in order (publishOffer sent, subscriberOffer received). */
  ufrags(kind: 'publishOffer' | 'subscriberOffer'): Array<{ at: number; ufrag: string }> {
    const dir = kind === 'publishOffer' ? 'sent' : 'received';
    return this.of(kind, dir).map((m) => ({ at: m.at, ufrag: iceUfrag(String(m.body['sdp'] ?? '')) }));
  }
}

export function iceUfrag(sdp: string): string {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1] ?? '';
}
