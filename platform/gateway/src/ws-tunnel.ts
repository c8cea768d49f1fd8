// The relay between a client's WebSocket and signaling, once the upstream connection is open. Bytes pass
// through unchanged, but the relay follows the frames both ways so that it can close a connection the
// way RFC 6455 asks (a close frame with a status code) instead of cutting TCP, which a client sees as
// 1006: a client message above the limit gets 1009 before a byte of it reaches signaling, and a
// gateway that stops sends 1001 to the clients still connected.
import type { Duplex } from 'node:stream';
import { CLOSE_CODE, FrameScanner, MessageLimit, closeFrame } from './ws-frames.js';

/** Longest upstream response head the relay reads before it stops following frames. */
const MAX_RESPONSE_HEAD = 16 * 1024;
/** How long a socket that was asked to end may take before it is destroyed. */
const END_TIMEOUT_MS = 5000;

type UpstreamState = 'head' | 'frames' | 'raw';

export interface WsTunnelOptions {
  /** Largest client message (all fragments) relayed; a larger one closes with 1009. */
  maxMessageBytes: number;
}

export class WsTunnel {
  private upstreamState: UpstreamState = 'head';
  private head: Buffer = Buffer.alloc(0);
  private readonly fromClient = new FrameScanner();
  private readonly fromUpstream = new FrameScanner();
  private readonly limit: MessageLimit;
  /** Set when the relay closes the client: the close frame goes out at the next frame boundary. */
  private closing: { code: number; reason: string } | undefined;
  private done = false;

  /** `head`: the client's bytes that arrived with its upgrade request. */
  constructor(
    private readonly client: Duplex,
    private readonly upstream: Duplex,
    head: Buffer,
    options: WsTunnelOptions,
  ) {
    this.limit = new MessageLimit(options.maxMessageBytes);
    if (head.length > 0) this.onClientData(head);
    client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    upstream.on('data', (chunk: Buffer) => this.onUpstreamData(chunk));
    // Whatever one side says last must reach the other before its socket closes.
    upstream.on('end', () => endGracefully(client));
    client.on('end', () => endGracefully(upstream));
    upstream.on('close', () => {
      this.done = true;
      endGracefully(client);
    });
    client.on('close', () => {
      this.done = true;
      upstream.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  }

  /**
   * Closes the client's WebSocket with `code` (at the next frame boundary of what signaling sends) and
   * tells signaling the client went away.
   */
  close(code: number, reason: string): void {
    if (this.done || this.closing) return;
    this.closing = { code, reason };
    // Before the upgrade completes, or inside a frame of signaling's, the close frame has to wait.
    if (this.upstreamState === 'head') return;
    if (this.upstreamState === 'frames' && !this.fromUpstream.atBoundary()) return;
    this.finishClose();
  }

  private onClientData(chunk: Buffer): void {
    // Once closing, nothing more from the client reaches signaling (its close reply included).
    if (this.closing) return;
    const { out, stopped } = this.fromClient.feed(chunk, { accept: (h) => this.limit.accept(h) });
    if (out.length > 0) relay(this.client, this.upstream, out);
    if (stopped) this.close(CLOSE_CODE.messageTooBig, 'message too big');
  }

  private onUpstreamData(chunk: Buffer): void {
    if (this.done) return;
    if (this.upstreamState === 'head') {
      this.head = Buffer.concat([this.head, chunk]);
      const end = this.head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (this.head.length <= MAX_RESPONSE_HEAD) return;
        this.upstreamState = 'raw';
        this.flushClose(this.head);
        return;
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(this.head.subarray(0, end).toString('latin1'))?.[1];
      this.upstreamState = status === '101' ? 'frames' : 'raw';
      relay(this.upstream, this.client, this.head.subarray(0, end + 4));
      const rest = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
      if (rest.length > 0 || this.closing) this.onUpstreamData(rest);
      return;
    }
    if (this.upstreamState === 'raw') {
      this.flushClose(chunk);
      return;
    }
    const { out, stopped } = this.fromUpstream.feed(chunk, { stopAtBoundary: this.closing !== undefined });
    if (out.length > 0) relay(this.upstream, this.client, out);
    if (stopped) this.finishClose();
  }

  /** Relays raw bytes, unless the relay is closing the client (nothing can be injected in raw mode). */
  private flushClose(bytes: Buffer): void {
    if (this.closing) {
      this.finishClose();
      return;
    }
    if (bytes.length > 0) relay(this.upstream, this.client, bytes);
  }

  private finishClose(): void {
    const closing = this.closing;
    if (!closing || this.done) return;
    this.done = true;
    // Signaling hears that the client is gone (when the client's bytes end on a frame boundary).
    if (this.fromClient.atBoundary() && this.upstream.writable)
      this.upstream.write(closeFrame(closing.code, closing.reason, true));
    endGracefully(this.upstream);
    if (this.upstreamState === 'frames' && this.client.writable)
      this.client.write(closeFrame(closing.code, closing.reason, false));
    endGracefully(this.client);
  }
}

/** Writes with backpressure: a slow reader pauses the writer's source. */
function relay(source: Duplex, target: Duplex, bytes: Buffer): void {
  if (!target.writable) return;
  if (!target.write(bytes)) {
    source.pause();
    target.once('drain', () => source.resume());
  }
}

/** Ends a socket after what was written to it is sent; destroys it if the peer never finishes. */
function endGracefully(socket: Duplex): void {
  if (socket.destroyed) return;
  if (socket.writable) socket.end();
  setTimeout(() => socket.destroy(), END_TIMEOUT_MS).unref();
}
