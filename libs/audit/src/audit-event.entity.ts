import { IdColumn, TimestampColumn, UuidColumn } from '@switchboard/database';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';

export type AuditOutcome = 'success' | 'failure' | 'denied';
export type AuditActorType = 'user' | 'apiKey' | 'anonymous' | 'system';

/** Who did what to which target, when, and how it ended. Never a secret value. */
@Entity({ name: 'audit_events' })
@Index('ix_audit_events_project_time', ['projectId', 'createdAt'])
@Index('ix_audit_events_project_action', ['projectId', 'action'])
export class AuditEventEntity {
  @IdColumn('pk_audit_events')
  id: string;

  /** Null for instance-wide events (sign-in, users, key rotation). */
  @UuidColumn('project_id', { nullable: true })
  projectId: string | null;

  // Audit sits below the projects lib, so the relation names its entity instead of importing it.
  @ManyToOne('ProjectEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_audit_events_project' })
  project?: { id: string };

  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType: AuditActorType;

  @UuidColumn('actor_user_id', { nullable: true })
  actorUserId: string | null;

  @UuidColumn('actor_api_key_id', { nullable: true })
  actorApiKeyId: string | null;

  /** An email or key prefix, kept so the trail reads well after the actor is gone. */
  @Column({ name: 'actor_label', type: 'varchar', length: 254, nullable: true })
  actorLabel: string | null;

  @Column({ name: 'action', type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32 })
  targetType: string;

  @Column({ name: 'target_id', type: 'varchar', length: 64, nullable: true })
  targetId: string | null;

  @Column({ name: 'target_name', type: 'varchar', length: 254, nullable: true })
  targetName: string | null;

  @Column({ name: 'outcome', type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  @Column({ name: 'ip', type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'details', type: 'simple-json', nullable: true })
  details: Record<string, unknown> | null;

  @TimestampColumn('created_at')
  createdAt: Date;
}
