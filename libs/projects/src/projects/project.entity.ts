import { UserEntity } from '@switchboard/auth';
import { IdColumn, TimestampColumn, UuidColumn } from '@switchboard/database';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';

@Entity({ name: 'projects' })
export class ProjectEntity {
  @IdColumn('pk_projects')
  id: string;

  @Index('uq_projects_slug', { unique: true })
  @Column({ name: 'slug', type: 'varchar', length: 63 })
  slug: string;

  @Column({ name: 'name', type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'description', type: 'varchar', length: 2000, nullable: true })
  description: string | null;

  @UuidColumn('created_by', { nullable: true })
  createdBy: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'created_by', foreignKeyConstraintName: 'fk_projects_creator' })
  creator?: UserEntity;

  @TimestampColumn('created_at')
  createdAt: Date;

  @TimestampColumn('updated_at')
  updatedAt: Date;
}
