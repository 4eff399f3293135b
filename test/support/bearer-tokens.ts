/**
 * The bearer tokens a protocol test server accepts: one static token (a Databricks personal access
 * token, an Iceberg catalog token) and the access tokens its OAuth 2.0 client-credentials grant
 * (RFC 6749 §4.4) issues, which expire after their lifetime. Tests revoke or expire them to prove
 * a client notices and gets a new one.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { bearerToken, clientCredentials, type JsonRequest } from './json-server';

export type TokenCheck = 'static' | 'oauth' | 'missing' | 'invalid' | 'revoked' | 'expired';

/** The client-credentials grant's answer: status and an RFC 6749 body (token or error). */
export type GrantAnswer = { status: number; body: Record<string, unknown> };

export class BearerTokens {
  readonly clientId: string;
  readonly clientSecret: string;
  private readonly expiries = new Map<string, number>(); // OAuth access token -> epoch ms
  private readonly revoked = new Set<string>();
  private issuedCount = 0;

  constructor(
    readonly staticToken: string,
    private readonly lifetimeSeconds: number,
    private readonly accessTokenPrefix: string,
    /** The client the grant accepts; a random one by default. */
    client?: { id: string; secret: string },
  ) {
    this.clientId = client?.id ?? `sb-client-${randomBytes(4).toString('hex')}`;
    this.clientSecret = client?.secret ?? `sb-secret-${randomBytes(16).toString('hex')}`;
  }

  check(headers: http.IncomingHttpHeaders): TokenCheck {
    const token = bearerToken(headers);
    if (!token) return 'missing';
    if (this.revoked.has(token)) return 'revoked';
    if (token === this.staticToken) return 'static';
    const expiry = this.expiries.get(token);
    if (expiry === undefined) return 'invalid';
    return Date.now() < expiry ? 'oauth' : 'expired';
  }

  /** POST of a form `grant_type=client_credentials`, the client by HTTP Basic or in the form. */
  grant(request: JsonRequest): GrantAnswer {
    const form = new URLSearchParams(request.body);
    if (form.get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Only client_credentials is supported' } };
    }
    const client = clientCredentials(request.headers, form);
    if (!client || client.id !== this.clientId || client.secret !== this.clientSecret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } };
    }
    const accessToken = `${this.accessTokenPrefix}${randomBytes(24).toString('base64url')}`;
    this.expiries.set(accessToken, Date.now() + this.lifetimeSeconds * 1000);
    this.issuedCount += 1;
    return { status: 200, body: { access_token: accessToken, expires_in: this.lifetimeSeconds, scope: form.get('scope') ?? undefined } };
  }

  issued(): number {
    return this.issuedCount;
  }

  revoke(token: string): void {
    this.revoked.add(token);
  }

  /** Every access token issued so far has expired. */
  expireAll(): void {
    for (const token of this.expiries.keys()) this.expiries.set(token, 0);
  }
}
