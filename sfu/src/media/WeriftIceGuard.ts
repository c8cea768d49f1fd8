// Authenticates ICE connectivity checks before werift acts on them. werift 0.25 answers a Binding request
// (and lets its ICE-CONTROLLING / ICE-CONTROLLED attributes flip the agent's role, and triggers checks back
// to the sender) without verifying MESSAGE-INTEGRITY: a forged request from anywhere gets a success response
// and makes the SFU send checks to an address of the attacker's choosing (amplification, candidate
// injection). RFC 8445 section 7.3 requires the check: the request must carry a USERNAME whose first part
// is one of our ufrags and a MESSAGE-INTEGRITY computed with that ufrag's password (RFC 8489 section 14.5).
// Requests that fail are dropped without a reply, so a forger learns nothing and gets no traffic.
import { Connection, parseMessage } from 'werift';

interface GuardedConnection {
  localUsername: string;
  localPassword: string;
  userHistory: Record<string, string>;
}

interface RequestEvent {
  execute(message: { getAttributeValue(name: string): unknown }, addr: unknown, data: Buffer): void;
}

interface Protocol {
  onRequestReceived: RequestEvent;
}

type EnsureProtocol = (this: GuardedConnection, protocol: Protocol) => void;

/** True when a Binding request is authenticated with one of the connection's local passwords. */
export function isAuthenticRequest(conn: GuardedConnection, username: unknown, data: Buffer): boolean {
  if (typeof username !== 'string') return false;
  const colon = username.indexOf(':');
  if (colon <= 0) return false;
  const local = username.slice(0, colon);
  const password = conn.userHistory[local] ?? (local === conn.localUsername ? conn.localPassword : undefined);
  if (password === undefined) return false;
  return parseMessage(data, Buffer.from(password, 'utf8')) !== undefined;
}

let installed = false;
/** Requests dropped because they did not authenticate, for stats and tests. */
export const iceGuardStats = { dropped: 0 };

/** Installs the check on every werift ICE connection of this process; idempotent. */
export function installIceGuard(): void {
  if (installed) return;
  installed = true;
  const proto = Connection.prototype as unknown as { ensureProtocol: EnsureProtocol };
  const original = proto.ensureProtocol;
  proto.ensureProtocol = function guarded(this: GuardedConnection, protocol: Protocol): void {
    original.call(this, protocol);
    const event = protocol.onRequestReceived;
    const execute = event.execute.bind(event);
    event.execute = (message, addr, data) => {
      if (!isAuthenticRequest(this, message.getAttributeValue('USERNAME'), data)) {
        iceGuardStats.dropped++;
        return;
      }
      execute(message, addr, data);
    };
  };
}
