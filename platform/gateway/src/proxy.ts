// Reverse proxying with node:http only: buffered API requests (bodies are small and bounded) and a raw
// socket pipe for the WebSocket upgrade to signaling.
import * as http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { AppError, ErrorCode } from '@origo/kit';
import { WsTunnel, type WsTunnelOptions } from './ws-tunnel.js';

/** RFC 9110 section 7.6.1: connection-specific headers are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface ForwardOptions {
  target: URL;
  method: string;
  /** Path and query, as received. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
  timeoutMs: number;
}

/** Sends one request upstream; resolves with the upstream response (body not yet read). */
export function forward(options: ForwardOptions): Promise<IncomingMessage> {
  const { target } = options;
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(options.body.length);
    else delete headers['content-length'];
    const req = client.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: options.method,
      path: options.path,
      headers,
      timeout: options.timeoutMs,
    });
    req.on('response', resolve);
    req.on('timeout', () =>
      req.destroy(new AppError(ErrorCode.DEADLINE_EXCEEDED, 'The upstream service did not answer in time')),
    );
    req.on('error', (err: Error) => {
      reject(
        err instanceof AppError
          ? err
          : new AppError(ErrorCode.UNAVAILABLE, 'The upstream service is unavailable', { cause: err }),
      );
    });
    req.end(options.body);
  });
}

/** A WebSocket tunnel in progress: the gateway can close it with a status code the client sees. */
export interface UpgradeTunnel {
  /** Sends the client a close frame with `code` and ends both sides (after the upstream connected). */
  close(code: number, reason: string): void;
}

/**
 * Tunnels an HTTP upgrade (WebSocket) to `target`: replays the request head with the forwarding headers,
 * then relays bytes both ways until either side closes. The upstream does the WebSocket handshake; the
 * relay follows the frames to refuse oversized client messages with 1009 (see WsTunnel).
 */
export function tunnelUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: URL,
  path: string,
  extraHeaders: Record<string, string>,
  options: WsTunnelOptions,
  onError: (err: Error) => void,
): UpgradeTunnel {
  const secure = target.protocol === 'https:' || target.protocol === 'wss:';
  const port = Number(target.port || (secure ? 443 : 80));
  const upstream = secure
    ? tls.connect({ host: target.hostname, port, servername: target.hostname })
    : net.connect({ host: target.hostname, port });
  const lines = [`${request.method ?? 'GET'} ${path} HTTP/1.1`];
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'x-forwarded-for' && name !== 'x-request-id') headers[name] = value;
  }
  Object.assign(headers, extraHeaders);
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      // Header values come from a parsed request; still refuse anything that could split the head.
      if (/[\r\n]/.test(v)) continue;
      lines.push(`${name}: ${v}`);
    }
  }
  let relay: WsTunnel | undefined;
  const fail = (err: Error) => {
    onError(err);
    if (!socket.destroyed) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    }
    upstream.destroy();
  };
  upstream.once('error', fail);
  upstream.once(secure ? 'secureConnect' : 'connect', () => {
    upstream.removeListener('error', fail);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    relay = new WsTunnel(socket, upstream, head, options);
  });
  socket.on('error', () => upstream.destroy());
  return {
    close(code, reason) {
      if (relay) relay.close(code, reason);
      else {
        upstream.destroy();
        socket.destroy();
      }
    },
  };
}
