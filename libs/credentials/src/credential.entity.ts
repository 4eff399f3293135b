import { IdColumn, TimestampColumn, UuidColumn } from '@switchboard/database';
import type { CredentialType } from '@switchboard/connectors';
import { ProjectEntity } from '@switchboard/projects';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';

/**
 * Secrets, apart from any connection config. The values live only in `secretEnvelope`, an
 * AES-256-GCM envelope bound to this row's project and id; everything else is safe to show.
 */
@Entity({ name: 'credentials' })
@Index('uq_credentials_project_name', ['projectId', 'name'], { unique: true })
export class CredentialEntity {
  @IdColumn('pk_credentials')
  id: string;

  @UuidColumn('project_id')
  projectId: string;

  @ManyToOne(() => ProjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_credentials_project' })
  project?: ProjectEntity;

  @Column({ name: 'name', type: 'varchar', length: 63 })
  name: string;

  @Column({ name: 'type', type: 'varchar', length: 16 })
  type: CredentialType;

  @Column({ name: 'description', type: 'varchar', length: 2000, nullable: true })
  description: string | null;

  /** Non-secret values, e.g. a username. */
  @Column({ name: 'fields', type: 'simple-json' })
  fields: Record<string, string>;

  @Column({ name: 'secret_envelope', type: 'text', nullable: true, select: false })
  secretEnvelope: string | null;

  /** Names of the secrets that are set, never their values. */
  @Column({ name: 'secret_fields', type: 'simple-json' })
  secretFields: string[];

  /** HMAC of the secrets under the key active when they were written: changes only when they do. */
  @Column({ name: 'secret_fingerprint', type: 'varchar', length: 80, nullable: true })
  secretFingerprint: string | null;

  @Index('ix_credentials_key_id')
  @Column({ name: 'key_id', type: 'varchar', length: 32, nullable: true })
  keyId: string | null;

  /** Set when the secrets were given inline on a connection: that connection owns and manages them. */
  @Index('ix_credentials_owner_connection_id')
  @UuidColumn('owner_connection_id', { nullable: true })
  ownerConnectionId: string | null;

  @Column({ name: 'version', type: 'integer' })
  version: number;

  @TimestampColumn('created_at')
  createdAt: Date;

  @TimestampColumn('updated_at')
  updatedAt: Date;

  @UuidColumn('created_by', { nullable: true })
  createdBy: string | null;
}
