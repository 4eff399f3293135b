import { TimestampColumn, UuidColumn } from '@switchboard/database';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ConnectionEntity } from '../connection.entity';

/** A pipeline or job that declared it uses a connection, so deleting it is not a surprise. */
@Entity({ name: 'connection_usages' })
export class ConnectionUsageEntity {
  @PrimaryColumn({ name: 'connection_id', type: 'uuid', primaryKeyConstraintName: 'pk_connection_usages' })
  connectionId: string;

  @PrimaryColumn({ name: 'consumer', type: 'varchar', length: 200, primaryKeyConstraintName: 'pk_connection_usages' })
  consumer: string;

  @ManyToOne(() => ConnectionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id', foreignKeyConstraintName: 'fk_connection_usages_connection' })
  connection?: ConnectionEntity;

  @Index('ix_connection_usages_project_id')
  @UuidColumn('project_id')
  projectId: string;

  @Column({ name: 'description', type: 'varchar', length: 500, nullable: true })
  description: string | null;

  @TimestampColumn('created_at')
  createdAt: Date;

  @TimestampColumn('updated_at')
  updatedAt: Date;
}
