// Security headers and CORS for everything the gateway answers (its own pages and proxied responses).
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The request's host as the browser used it (X-Forwarded-Host only behind a trusted proxy). */
export function requestHost(request: FastifyRequest, trustProxy: boolean): string {
  const forwarded = request.headers['x-forwarded-host'];
  const value = trustProxy
    ? (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim()
    : undefined;
  return value ?? request.headers.host ?? 'localhost';
}

export function isHttps(request: FastifyRequest, trustProxy: boolean): boolean {
  if ((request.raw.socket as { encrypted?: boolean }).encrypted === true) return true;
  if (!trustProxy) return false;
  const proto = request.headers['x-forwarded-proto'];
  return (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim() === 'https';
}

/**
 * CSP for the SPA: scripts only from us, WebRTC media from getUserMedia (blob:/mediastream:), and the
 * signaling WebSocket on our own host (listed explicitly: older Safari does not let 'self' cover ws:).
 * Inline styles are allowed because the client's component library sets style attributes.
 */
export function contentSecurityPolicy(host: string, https: boolean): string {
  const ws = https ? `wss://${host}` : `ws://${host} wss://${host}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "font-src 'self' data:",
    `connect-src 'self' ${ws}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function applySecurityHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { trustProxy: boolean; hsts: boolean },
): void {
  const https = isHttps(request, options.trustProxy);
  void reply.header(
    'content-security-policy',
    contentSecurityPolicy(requestHost(request, options.trustProxy), https),
  );
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
  void reply.header('x-frame-options', 'DENY');
  void reply.header('cross-origin-opener-policy', 'same-origin');
  void reply.header('cross-origin-resource-policy', 'same-origin');
  void reply.header(
    'permissions-policy',
    'camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=()',
  );
  if (https || options.hsts)
    void reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
}

export const CORS_ALLOWED_HEADERS =
  'authorization, content-type, idempotency-key, x-request-id, traceparent, tracestate';
export const CORS_EXPOSED_HEADERS =
  'x-request-id, retry-after, location, idempotency-replayed, ratelimit-limit, ratelimit-remaining, ratelimit-reset';
export const CORS_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';

/** Whether a request's Origin is our own host or on the allow-list; true when there is no Origin. */
export function originAllowed(
  origin: string | undefined,
  host: string,
  allowList: readonly string[],
): boolean {
  if (origin === undefined || origin === '') return true;
  if (allowList.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Adds CORS response headers for an allow-listed cross-origin caller; nothing for anyone else. */
export function applyCors(
  request: FastifyRequest,
  reply: FastifyReply,
  allowList: readonly string[],
): boolean {
  const origin = request.headers.origin;
  void reply.header('vary', 'Origin');
  if (origin === undefined || !allowList.includes(origin)) return false;
  void reply.header('access-control-allow-origin', origin);
  void reply.header('access-control-allow-credentials', 'true');
  void reply.header('access-control-expose-headers', CORS_EXPOSED_HEADERS);
  return true;
}
