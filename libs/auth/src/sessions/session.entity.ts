import { IdColumn, TimestampColumn, UuidColumn } from '@switchboard/database';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { UserEntity } from '../users/user.entity';

/** One sign-in: its refresh token rotates on use; reusing an old one revokes the whole session. */
@Entity({ name: 'sessions' })
export class SessionEntity {
  @IdColumn('pk_sessions')
  id: string;

  @Index('ix_sessions_user_id')
  @UuidColumn('user_id')
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_sessions_user' })
  user?: UserEntity;

  /** SHA-256 of the current refresh token's secret part. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64, select: false })
  tokenHash: string;

  /** The token it replaced: presenting that one again is reuse, not a typo. */
  @Column({ name: 'previous_token_hash', type: 'varchar', length: 64, nullable: true, select: false })
  previousTokenHash: string | null;

  @Column({ name: 'generation', type: 'integer', default: 0 })
  generation: number;

  @TimestampColumn('created_at')
  createdAt: Date;

  @TimestampColumn('expires_at')
  expiresAt: Date;

  @TimestampColumn('last_used_at', { nullable: true })
  lastUsedAt: Date | null;

  @TimestampColumn('revoked_at', { nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 300, nullable: true })
  userAgent: string | null;
}
