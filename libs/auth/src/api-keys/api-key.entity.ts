import { IdColumn, TimestampColumn, UuidColumn } from '@switchboard/database';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import type { Scope } from '../scopes/scopes';
import { UserEntity } from '../users/user.entity';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @IdColumn('pk_api_keys')
  id: string;

  // The projects lib sits above auth, so the relation names its entity instead of importing it.
  @Index('ix_api_keys_project_id')
  @UuidColumn('project_id')
  projectId: string;

  @ManyToOne('ProjectEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_api_keys_project' })
  project?: { id: string };

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  /** The first characters of the key, safe to show so people can tell keys apart. */
  @Column({ name: 'prefix', type: 'varchar', length: 16 })
  prefix: string;

  @Index('uq_api_keys_key_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'varchar', length: 64, select: false })
  keyHash: string;

  @Column({ name: 'scopes', type: 'simple-json' })
  scopes: Scope[];

  @Index('ix_api_keys_created_by')
  @UuidColumn('created_by')
  createdBy: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'created_by', foreignKeyConstraintName: 'fk_api_keys_creator' })
  creator?: UserEntity;

  @TimestampColumn('created_at')
  createdAt: Date;

  @TimestampColumn('expires_at', { nullable: true })
  expiresAt: Date | null;

  @TimestampColumn('revoked_at', { nullable: true })
  revokedAt: Date | null;

  @TimestampColumn('last_used_at', { nullable: true })
  lastUsedAt: Date | null;
}
