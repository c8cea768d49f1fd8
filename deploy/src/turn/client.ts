// A small TURN client over UDP (RFC 8656) with long-term credentials (RFC 8489 section 9.2): allocate,
// create permissions, send and receive through the relay, release. Used by the coturn test and the TURN
// probe; enough to prove what coturn relays and what it refuses.
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import {
  Attr,
  Method,
  MessageClass,
  decodeMessage,
  decodeXorAddress,
  encodeMessage,
  encodeXorAddress,
  getAttribute,
  isStunMessage,
  longTermKey,
  newTransactionId,
  readErrorCode,
  type StunMessage,
  type TransportAddress,
} from './stun.js';

/** The server answered with an ERROR-CODE (e.g. 401 Unauthorized, 403 Forbidden, 486 Allocation Quota). */
export class TurnError extends Error {
  override readonly name = 'TurnError';
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly method: string,
  ) {
    super(`${method} failed: ${code} ${reason}`);
  }
}

/** No answer within the deadline. */
export class TurnTimeoutError extends Error {
  override readonly name = 'TurnTimeoutError';
}

export interface TurnClientOptions {
  server: TransportAddress;
  username: string;
  password: string;
  /** Address family of the relayed address to ask for (REQUESTED-ADDRESS-FAMILY, RFC 8656 section 18.8). */
  relayFamily?: 'IPv4' | 'IPv6';
  /** Deadline for one transaction including retransmissions. */
  timeoutMs?: number;
}

export interface Allocation {
  relayed: TransportAddress;
  mapped: TransportAddress;
  lifetimeSeconds: number;
}

export interface ReceivedData {
  peer: TransportAddress;
  data: Buffer;
}

const REQUESTED_TRANSPORT_UDP = Buffer.from([17, 0, 0, 0]);
const RETRANSMIT_MS = 500;

const methodName = (method: number): string =>
  Object.entries(Method).find(([, value]) => value === method)?.[0] ?? `method ${method}`;

export class TurnClient {
  private readonly socket: Socket;
  private readonly pending = new Map<string, (message: StunMessage) => void>();
  private readonly dataListeners = new Set<(data: ReceivedData) => void>();
  private realm: string | undefined;
  private nonce: string | undefined;
  private key: Buffer | undefined;
  private closed = false;

  private constructor(
    private readonly options: TurnClientOptions,
    family: 'udp4' | 'udp6',
  ) {
    this.socket = createSocket(family);
    this.socket.on('message', (buf) => this.onPacket(buf));
    // Late ICMP errors on a closed allocation would otherwise be unhandled 'error' events.
    this.socket.on('error', () => undefined);
  }

  static async open(options: TurnClientOptions): Promise<TurnClient> {
    const family = isIP(options.server.address) === 6 ? 'udp6' : 'udp4';
    const client = new TurnClient(options, family);
    await new Promise<void>((resolve, reject) => {
      client.socket.once('error', reject);
      client.socket.bind(0, () => {
        client.socket.off('error', reject);
        resolve();
      });
    });
    return client;
  }

  /** Allocate (RFC 8656 section 7): first unauthenticated to learn realm and nonce, then with credentials. */
  async allocate(): Promise<Allocation> {
    const attributes: Array<{ type: number; value: Buffer }> = [
      { type: Attr.RequestedTransport, value: REQUESTED_TRANSPORT_UDP },
    ];
    if (this.options.relayFamily)
      attributes.push({
        type: Attr.RequestedAddressFamily,
        value: Buffer.from([this.options.relayFamily === 'IPv4' ? 0x01 : 0x02, 0, 0, 0]),
      });
    const response = await this.authenticated(Method.Allocate, attributes);
    const relayed = getAttribute(response, Attr.XorRelayedAddress);
    const mapped = getAttribute(response, Attr.XorMappedAddress);
    const lifetime = getAttribute(response, Attr.Lifetime);
    if (!relayed || !mapped) throw new TurnError(500, 'success without relayed address', 'Allocate');
    return {
      relayed: decodeXorAddress(relayed, response.transactionId),
      mapped: decodeXorAddress(mapped, response.transactionId),
      lifetimeSeconds: lifetime ? lifetime.readUInt32BE(0) : 0,
    };
  }

  /** CreatePermission (RFC 8656 section 9) for one peer address; rejects with TurnError when refused. */
  async createPermission(peerAddress: string): Promise<void> {
    await this.authenticated(Method.CreatePermission, [
      {
        type: Attr.XorPeerAddress,
        value: (txid) => encodeXorAddress({ address: peerAddress, port: 0 }, txid),
      },
    ]);
  }

  /** Send indication (RFC 8656 section 10.1): unauthenticated, no answer; coturn drops it without permission. */
  send(peer: TransportAddress, data: Buffer): void {
    const transactionId = newTransactionId();
    const message = encodeMessage(
      {
        method: Method.Send,
        cls: MessageClass.Indication,
        transactionId,
        attributes: [
          { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, transactionId) },
          { type: Attr.Data, value: data },
        ],
      },
      { fingerprint: true },
    );
    this.socket.send(message, this.options.server.port, this.options.server.address);
  }

  onData(listener: (data: ReceivedData) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  /** Releases the allocation (Refresh with lifetime 0) and closes the socket. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.key) {
      const zero = Buffer.alloc(4);
      await this.authenticated(Method.Refresh, [{ type: Attr.Lifetime, value: zero }]).catch(() => undefined);
    }
    this.closed = true;
    for (const resolve of this.pending.values())
      resolve({ method: 0, cls: MessageClass.Error, transactionId: Buffer.alloc(12), attributes: [] });
    this.pending.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private onPacket(buf: Buffer): void {
    if (!isStunMessage(buf)) return;
    let message: StunMessage;
    try {
      message = decodeMessage(buf);
    } catch {
      return;
    }
    if (message.method === Method.Data && message.cls === MessageClass.Indication) {
      const peer = getAttribute(message, Attr.XorPeerAddress);
      const data = getAttribute(message, Attr.Data);
      if (!peer || !data) return;
      const received = { peer: decodeXorAddress(peer, message.transactionId), data };
      for (const listener of this.dataListeners) listener(received);
      return;
    }
    const waiter = this.pending.get(message.transactionId.toString('hex'));
    if (waiter) waiter(message);
  }

  /**
   * One request with the long-term credential mechanism: answers 401 (first contact) and 438 (stale nonce)
   * by retrying once with the realm and nonce the server sent.
   */
  private async authenticated(
    method: number,
    attributes: Array<{ type: number; value: Buffer | ((txid: Buffer) => Buffer) }>,
  ): Promise<StunMessage> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const transactionId = newTransactionId();
      const attrs = attributes.map((a) => ({
        type: a.type,
        value: typeof a.value === 'function' ? a.value(transactionId) : a.value,
      }));
      if (this.realm !== undefined && this.nonce !== undefined) {
        attrs.push(
          { type: Attr.Username, value: Buffer.from(this.options.username) },
          { type: Attr.Realm, value: Buffer.from(this.realm) },
          { type: Attr.Nonce, value: Buffer.from(this.nonce) },
        );
      }
      const request = encodeMessage(
        { method, cls: MessageClass.Request, transactionId, attributes: attrs },
        { ...(this.key ? { integrityKey: this.key } : {}), fingerprint: true },
      );
      const response = await this.transact(request, transactionId, method);
      if (response.cls === MessageClass.Success) return response;
      const errorValue = getAttribute(response, Attr.ErrorCode);
      const { code, reason } = errorValue ? readErrorCode(errorValue) : { code: 0, reason: 'no ERROR-CODE' };
      const realm = getAttribute(response, Attr.Realm)?.toString('utf8');
      const nonce = getAttribute(response, Attr.Nonce)?.toString('utf8');
      const retryable = (code === 401 && this.key === undefined) || code === 438;
      if (retryable && realm !== undefined && nonce !== undefined) {
        this.realm = realm;
        this.nonce = nonce;
        this.key = longTermKey(this.options.username, realm, this.options.password);
        continue;
      }
      throw new TurnError(code, reason, methodName(method));
    }
    throw new TurnError(401, 'credentials refused after retry', methodName(method));
  }

  private transact(request: Buffer, transactionId: Buffer, method: number): Promise<StunMessage> {
    if (this.closed) return Promise.reject(new TurnTimeoutError('client is closed'));
    const id = transactionId.toString('hex');
    const deadline = this.options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      let sent = 0;
      let retransmit: NodeJS.Timeout | undefined;
      // Retransmit with a doubling interval (RFC 8489 section 6.2.1) until an answer or the deadline.
      const sendOnce = (rto: number) => {
        sent++;
        this.socket.send(request, this.options.server.port, this.options.server.address);
        retransmit = setTimeout(() => sendOnce(rto * 2), rto);
      };
      const timer = setTimeout(() => {
        clearTimeout(retransmit);
        this.pending.delete(id);
        reject(
          new TurnTimeoutError(
            `${methodName(method)}: no answer from ${this.options.server.address}:${this.options.server.port} within ${deadline} ms`,
          ),
        );
      }, deadline);
      this.pending.set(id, (message) => {
        // A retransmitted Allocate can be answered 437 while the first copy is still being authenticated
        // (coturn authenticates on other threads); the first copy's answer is the one that counts.
        const error = getAttribute(message, Attr.ErrorCode);
        if (sent > 1 && method === Method.Allocate && error && readErrorCode(error).code === 437) return;
        clearTimeout(retransmit);
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(message);
      });
      sendOnce(RETRANSMIT_MS);
    });
  }
}
