import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { SessionEntity } from './session.entity';

export type SessionWithHash = SessionEntity & { tokenHash: string; previousTokenHash: string | null };

/** What a request needs to trust an access token: the session is live and its user enabled. */
export interface SessionAuthRow {
  userId: string;
  email: string;
  isAdmin: boolean;
}

@Injectable()
export class SessionsRepository {
  constructor(@InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>) {}

  async insert(session: SessionWithHash): Promise<void> {
    await this.sessions.insert(session);
  }

  findWithHash(id: string): Promise<SessionWithHash | null> {
    return this.sessions
      .createQueryBuilder('s')
      .addSelect(['s.tokenHash', 's.previousTokenHash'])
      .where('s.id = :id', { id })
      .getOne() as Promise<SessionWithHash | null>;
  }

  /** Compare-and-set rotation: false when another request rotated (or revoked) it first. */
  async rotate(id: string, fromHash: string, toHash: string, generation: number, now: Date): Promise<boolean> {
    const result = await this.sessions
      .createQueryBuilder()
      .update()
      .set({ tokenHash: toHash, previousTokenHash: fromHash, generation: generation + 1, lastUsedAt: now })
      .where('id = :id AND token_hash = :fromHash AND generation = :generation AND revoked_at IS NULL', {
        id,
        fromHash,
        generation,
      })
      .execute();
    return result.affected === 1;
  }

  /** Keeps the table bounded: a user's expired sessions are useless once their refresh tokens are. */
  async deleteExpiredForUser(userId: string, now: Date): Promise<void> {
    await this.sessions
      .createQueryBuilder()
      .delete()
      .where('user_id = :userId AND expires_at < :now', { userId, now: now.toISOString() })
      .execute();
  }

  async revoke(id: string, reason: string, now: Date): Promise<void> {
    await this.sessions.update({ id, revokedAt: IsNull() }, { revokedAt: now, revokedReason: reason });
  }

  /** Compare-and-set revocation: false when the token was rotated, or the session ended, first. */
  async revokeIfCurrent(id: string, tokenHash: string, reason: string, now: Date): Promise<boolean> {
    const result = await this.sessions.update({ id, tokenHash, revokedAt: IsNull() }, { revokedAt: now, revokedReason: reason });
    return result.affected === 1;
  }

  async revokeAllForUser(userId: string, reason: string, now: Date): Promise<void> {
    await this.sessions.update({ userId, revokedAt: IsNull() }, { revokedAt: now, revokedReason: reason });
  }

  async findLiveForAuth(sessionId: string, userId: string, now: Date): Promise<SessionAuthRow | null> {
    const row = await this.sessions
      .createQueryBuilder('s')
      .innerJoin('s.user', 'u')
      .select(['u.id AS "userId"', 'u.email AS "email"', 'u.is_admin AS "isAdmin"'])
      .where('s.id = :sessionId AND s.user_id = :userId', { sessionId, userId })
      .andWhere('s.revoked_at IS NULL AND s.expires_at > :now AND u.disabled = :disabled', {
        now: now.toISOString(),
        disabled: false,
      })
      .getRawOne<{ userId: string; email: string; isAdmin: boolean | number }>();
    return row ? { userId: row.userId, email: row.email, isAdmin: Boolean(row.isAdmin) } : null;
  }
}
