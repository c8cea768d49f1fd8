// Sign-in with an external OpenID Connect provider: authorization code flow with PKCE (RFC 7636),
// state and nonce (OpenID Connect Core 1.0, section 3.1), via openid-client.
import * as client from 'openid-client';
import type { Kv } from '@origo/kit/bus';
import { AppError, ErrorCode } from '@origo/kit';
import type { OidcSettings } from './config.js';
import { generateToken, hashToken, isTokenShaped } from './crypto.js';

export const OIDC_FLOW_COOKIE = 'origo_oidc';
const FLOW_TTL_MS = 10 * 60_000;

interface FlowState {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

export interface OidcIdentity {
  issuer: string;
  subject: string;
  email?: string | undefined;
  emailVerified: boolean;
  name?: string | undefined;
}

/** Accepts only same-site relative paths, so the flow cannot be turned into an open redirect. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\'))
    return '/';
  return value.length > 512 ? '/' : value;
}

export class OidcSignIn {
  private config: Promise<client.Configuration> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly kv: Kv,
  ) {}

  get name(): string {
    return this.settings.name;
  }

  private configuration(): Promise<client.Configuration> {
    this.config ??= client
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        undefined,
        client.ClientSecretBasic(this.settings.clientSecret),
        this.settings.allowInsecureRequests === true
          ? { execute: [client.allowInsecureRequests] }
          : undefined,
      )
      .catch((err: unknown) => {
        // Retry discovery on the next sign-in rather than caching a failure.
        this.config = undefined;
        throw new AppError(ErrorCode.UNAVAILABLE, 'The identity provider is unreachable', {
          cause: err,
          reason: 'oidc_discovery_failed',
        });
      });
    return this.config;
  }

  /** Returns the provider URL to redirect to and the flow id to keep in a short-lived cookie. */
  async start(returnTo: unknown): Promise<{ url: string; flowId: string; maxAgeSeconds: number }> {
    const config = await this.configuration();
    const flow: FlowState = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
      returnTo: safeReturnTo(returnTo),
    };
    const flowId = generateToken();
    await this.kv.set(`auth:oidc:${hashToken(flowId)}`, JSON.stringify(flow), { ttlMs: FLOW_TTL_MS });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUrl,
      scope: 'openid email profile',
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url: url.href, flowId, maxAgeSeconds: FLOW_TTL_MS / 1000 };
  }

  /** Completes the flow started in this browser (the cookie's flow id); each flow is usable once. */
  async finish(
    flowId: string | undefined,
    query: string,
  ): Promise<{ identity: OidcIdentity; returnTo: string }> {
    const fail = (reason: string, cause?: unknown) =>
      new AppError(ErrorCode.UNAUTHENTICATED, 'Sign-in with the identity provider failed', { reason, cause });
    if (flowId === undefined || !isTokenShaped(flowId)) throw fail('oidc_no_flow');
    const key = `auth:oidc:${hashToken(flowId)}`;
    const raw = await this.kv.get(key);
    await this.kv.del(key);
    if (raw === null) throw fail('oidc_flow_expired');
    const flow = JSON.parse(raw) as FlowState;
    const config = await this.configuration();
    const current = new URL(this.settings.redirectUrl);
    current.search = query;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw fail('oidc_code_exchange_failed', err);
    }
    const claims = tokens.claims();
    if (claims === undefined) throw fail('oidc_no_id_token');
    let email = typeof claims['email'] === 'string' ? claims['email'] : undefined;
    let emailVerified = claims['email_verified'] === true;
    let name = typeof claims['name'] === 'string' ? claims['name'] : undefined;
    if (email === undefined) {
      // Many providers put e-mail only in the UserInfo response (OpenID Connect Core 1.0, section 5.3).
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        email = typeof info.email === 'string' ? info.email : undefined;
        emailVerified = info.email_verified === true;
        name ??= typeof info.name === 'string' ? info.name : undefined;
      } catch (err) {
        throw fail('oidc_userinfo_failed', err);
      }
    }
    return {
      identity: { issuer: claims.iss, subject: claims.sub, email, emailVerified, name },
      returnTo: flow.returnTo,
    };
  }
}
