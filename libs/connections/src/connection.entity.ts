import { CredentialEntity } from '@switchboard/credentials';
import type { ConnectionConfig, ConnectionType } from '@switchboard/connectors';
import { IdColumn, TimestampColumn, UuidColumn } from '@switchboard/database';
import { ProjectEntity } from '@switchboard/projects';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';

/** Where a system is and how to reach it. Its secrets are never here: they live in a credential. */
@Entity({ name: 'connections' })
@Index('uq_connections_project_name', ['projectId', 'name'], { unique: true })
@Index('ix_connections_project_type', ['projectId', 'type'])
export class ConnectionEntity {
  @IdColumn('pk_connections')
  id: string;

  @UuidColumn('project_id')
  projectId: string;

  @ManyToOne(() => ProjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_connections_project' })
  project?: ProjectEntity;

  @Column({ name: 'name', type: 'varchar', length: 63 })
  name: string;

  @Column({ name: 'type', type: 'varchar', length: 16 })
  type: ConnectionType;

  @Column({ name: 'description', type: 'varchar', length: 2000, nullable: true })
  description: string | null;

  /** Non-secret settings, validated against the type's JSON Schema. */
  @Column({ name: 'config', type: 'simple-json' })
  config: ConnectionConfig;

  @Index('ix_connections_credential_id')
  @UuidColumn('credential_id', { nullable: true })
  credentialId: string | null;

  // NO ACTION (checked at statement end) rather than RESTRICT, so a project delete can cascade to both.
  @ManyToOne(() => CredentialEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'credential_id', foreignKeyConstraintName: 'fk_connections_credential' })
  credential?: CredentialEntity;

  /**
   * The shared ssh-key credential `config.sshTunnel.credentialId` names (the config says it to
   * clients; this column makes it a reference the database keeps, like `credentialId`).
   */
  @Index('ix_connections_ssh_credential_id')
  @UuidColumn('ssh_credential_id', { nullable: true })
  sshCredentialId: string | null;

  @ManyToOne(() => CredentialEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'ssh_credential_id', foreignKeyConstraintName: 'fk_connections_ssh_credential' })
  sshCredential?: CredentialEntity;

  /** True when `credentialId` holds secrets given inline, owned by this connection alone. */
  @Column({ name: 'owns_credential', type: 'boolean', default: false })
  ownsCredential: boolean;

  @Column({ name: 'enabled', type: 'boolean', default: true })
  enabled: boolean;

  @Column({ name: 'labels', type: 'simple-json' })
  labels: Record<string, string>;

  @Column({ name: 'version', type: 'integer' })
  version: number;

  @TimestampColumn('created_at')
  createdAt: Date;

  @TimestampColumn('updated_at')
  updatedAt: Date;

  @UuidColumn('created_by', { nullable: true })
  createdBy: string | null;
}
