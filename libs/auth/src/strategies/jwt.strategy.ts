import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { isUuid } from '@switchboard/common';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthCache } from '../cache/auth-cache';
import type { Principal } from '../principal';
import { SessionsRepository } from '../sessions/sessions.repository';
import { AccessTokenClaims, AccessTokens, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from '../tokens/access-tokens';

/** Access tokens: one algorithm, issuer, audience and expiry checked; the session must still be live. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    accessTokens: AccessTokens,
    private readonly sessions: SessionsRepository,
    private readonly cache: AuthCache,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: accessTokens.secret,
      algorithms: [JWT_ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  async validate(claims: AccessTokenClaims & { exp?: unknown }): Promise<Principal | false> {
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || !isUuid(claims.sub) || !isUuid(claims.sid)) return false;
    // jsonwebtoken checks `exp` only when present: a token without one would never expire.
    if (typeof claims.exp !== 'number') return false;
    const { sid, sub } = claims;
    const live = await this.cache.session(sid, () => this.sessions.findLiveForAuth(sid, sub, new Date()));
    return live && live.userId === sub
      ? { kind: 'user', userId: live.userId, email: live.email, isAdmin: live.isAdmin, sessionId: claims.sid }
      : false;
  }
}
