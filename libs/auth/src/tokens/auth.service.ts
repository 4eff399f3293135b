import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { AppError, ErrorCode, uuidv7 } from '@switchboard/common';
import { constantTimeEqual, PasswordHasher, randomBase62, sha256Hex } from '@switchboard/crypto';
import { AuthCache } from '../cache/auth-cache';
import { SessionsRepository, type SessionWithHash } from '../sessions/sessions.repository';
import { UsersRepository } from '../users/users.repository';
import { ACCESS_TOKEN_TTL_SECONDS, AccessTokens } from './access-tokens';
import { LoginThrottle } from './login-throttle';
import { LoginDto, TokenPairDto } from './token.dto';

const REFRESH_PREFIX = 'sbr_';
const REFRESH_TTL_MS = 30 * 24 * 3600 * 1000;
const REFRESH_PATTERN = /^sbr_([0-9a-f-]{36})_([A-Za-z0-9]{43})$/;

const invalidRefresh = () =>
  new AppError(ErrorCode.INVALID_REFRESH_TOKEN, 'The refresh token is invalid, expired or revoked; sign in again.');

export interface ClientInfo {
  actor: AuditActor;
  userAgent?: string;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly passwords: PasswordHasher,
    private readonly accessTokens: AccessTokens,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
  ) {}

  async login(dto: LoginDto, client: ClientInfo): Promise<TokenPairDto> {
    const address = client.actor.ip ?? 'unknown';
    await this.throttle.attempt(dto.email, address);
    const user = await this.users.findWithPasswordByEmail(dto.email);
    const valid = user
      ? await this.passwords.verify(user.passwordHash, dto.password)
      : await this.passwords.verifyAgainstNothing(dto.password);
    // One answer for unknown, wrong and disabled, so accounts cannot be enumerated.
    if (!user || !valid || user.disabled) {
      await this.audit.record({
        actor: { ...client.actor, label: dto.email },
        action: 'auth.login',
        target: { type: 'user', id: user?.id, name: dto.email },
        outcome: 'failure',
      });
      throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'The email or password is wrong, or the account is disabled.');
    }
    await this.throttle.succeeded(dto.email, address);
    const now = new Date();
    await this.users.update(user.id, { lastLoginAt: now });
    await this.sessions.deleteExpiredForUser(user.id, now);
    const sessionId = uuidv7();
    const secret = randomBase62(43);
    await this.sessions.insert({
      id: sessionId,
      userId: user.id,
      tokenHash: sha256Hex(secret),
      previousTokenHash: null,
      generation: 0,
      createdAt: now,
      expiresAt: new Date(now.getTime() + REFRESH_TTL_MS),
      lastUsedAt: null,
      revokedAt: null,
      revokedReason: null,
      userAgent: client.userAgent?.slice(0, 300) ?? null,
    });
    await this.audit.record({
      actor: { ...client.actor, type: 'user', userId: user.id, label: user.email },
      action: 'auth.login',
      target: { type: 'user', id: user.id, name: user.email },
    });
    return this.pair(user.id, sessionId, secret);
  }

  /** Rotates the refresh token. Presenting a superseded one means it leaked: the session ends. */
  async refresh(refreshToken: string, actor: AuditActor): Promise<TokenPairDto> {
    const now = new Date();
    const { session, presentedHash } = await this.liveSession(refreshToken, actor, now);
    const user = await this.users.findById(session.userId);
    if (!user || user.disabled) throw invalidRefresh();
    const nextSecret = randomBase62(43);
    const rotated = await this.sessions.rotate(session.id, presentedHash, sha256Hex(nextSecret), session.generation, now);
    if (!rotated) {
      // Lost a race with another use of the same token: that is reuse too.
      await this.revokeForReuse(session.id, session.userId, actor, now);
      throw invalidRefresh();
    }
    return this.pair(user.id, session.id, nextSecret);
  }

  /**
   * Ends the session behind a live refresh token. Anything else answers 401, so a client knows
   * it did not sign out (and, as on refresh, the token a refresh replaced ends the session).
   */
  async logout(refreshToken: string, actor: AuditActor): Promise<void> {
    const now = new Date();
    const { session, presentedHash } = await this.liveSession(refreshToken, actor, now);
    if (!(await this.sessions.revokeIfCurrent(session.id, presentedHash, 'logout', now))) {
      // A refresh rotated it (or another logout ended it) meanwhile: the token was used twice.
      await this.revokeForReuse(session.id, session.userId, actor, now);
      throw invalidRefresh();
    }
    await this.cache.changed({ kind: 'session', id: session.id });
    await this.audit.record({
      actor: { ...actor, type: 'user', userId: session.userId },
      action: 'auth.logout',
      target: { type: 'session', id: session.id },
    });
  }

  /**
   * The live session `refreshToken` is the current token of, with the hash presented; anything
   * else is refused (401). Only the token the current one replaced proves a leak and ends the
   * session; any other value is a bad guess at a session id (visible in access tokens) and must
   * not let its holder sign the user out.
   */
  private async liveSession(
    refreshToken: string,
    actor: AuditActor,
    now: Date,
  ): Promise<{ session: SessionWithHash; presentedHash: string }> {
    const parsed = REFRESH_PATTERN.exec(refreshToken);
    if (!parsed) throw invalidRefresh();
    const [, sessionId, secret] = parsed;
    const session = await this.sessions.findWithHash(sessionId);
    if (!session || session.revokedAt || session.expiresAt <= now) throw invalidRefresh();
    const presentedHash = sha256Hex(secret);
    if (!constantTimeEqual(presentedHash, session.tokenHash)) {
      if (session.previousTokenHash && constantTimeEqual(presentedHash, session.previousTokenHash)) {
        await this.revokeForReuse(session.id, session.userId, actor, now);
      }
      throw invalidRefresh();
    }
    return { session, presentedHash };
  }

  private async revokeForReuse(sessionId: string, userId: string, actor: AuditActor, now: Date): Promise<void> {
    await this.sessions.revoke(sessionId, 'reuse-detected', now);
    await this.cache.changed({ kind: 'session', id: sessionId });
    await this.audit.record({
      actor: { ...actor, userId },
      action: 'auth.refresh_reuse',
      target: { type: 'session', id: sessionId },
      outcome: 'denied',
    });
  }

  private pair(userId: string, sessionId: string, secret: string): TokenPairDto {
    return {
      accessToken: this.accessTokens.sign(userId, sessionId),
      refreshToken: `${REFRESH_PREFIX}${sessionId}_${secret}`,
      tokenType: 'Bearer',
      expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    };
  }
}
