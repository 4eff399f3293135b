import { IdColumn, TimestampColumn } from '@switchboard/database';
import { Column, Entity, Index } from 'typeorm';

@Entity({ name: 'users' })
export class UserEntity {
  @IdColumn('pk_users')
  id: string;

  /** Stored lowercased, so uniqueness is case-insensitive on both drivers. */
  @Index('uq_users_email', { unique: true })
  @Column({ name: 'email', type: 'varchar', length: 254 })
  email: string;

  @Column({ name: 'name', type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255, select: false })
  passwordHash: string;

  @Column({ name: 'is_admin', type: 'boolean', default: false })
  isAdmin: boolean;

  @Column({ name: 'disabled', type: 'boolean', default: false })
  disabled: boolean;

  @TimestampColumn('created_at')
  createdAt: Date;

  @TimestampColumn('updated_at')
  updatedAt: Date;

  @TimestampColumn('last_login_at', { nullable: true })
  lastLoginAt: Date | null;
}
