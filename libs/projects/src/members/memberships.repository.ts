import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { PageWindow } from '@switchboard/common';
import { isUniqueViolation } from '@switchboard/database';
import { Repository } from 'typeorm';
import type { Role } from '../roles/roles';
import { MembershipEntity } from './membership.entity';

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserMembershipRow {
  projectId: string;
  slug: string;
  name: string;
  role: Role;
}

@Injectable()
export class MembershipsRepository {
  constructor(@InjectRepository(MembershipEntity) private readonly memberships: Repository<MembershipEntity>) {}

  find(projectId: string, userId: string): Promise<MembershipEntity | null> {
    return this.memberships.findOneBy({ projectId, userId });
  }

  async listInProject(projectId: string, window: PageWindow): Promise<[MemberRow[], number]> {
    const [rows, total] = await this.memberships.findAndCount({
      where: { projectId },
      relations: { user: true },
      order: { createdAt: 'ASC', userId: 'ASC' },
      ...window,
    });
    return [
      rows.map((row) => ({
        userId: row.userId,
        email: row.user!.email,
        name: row.user!.name,
        role: row.role,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      })),
      total,
    ];
  }

  async listForUser(userId: string): Promise<UserMembershipRow[]> {
    const rows = await this.memberships.find({ where: { userId }, relations: { project: true }, order: { createdAt: 'ASC' } });
    return rows.map((row) => ({ projectId: row.projectId, slug: row.project!.slug, name: row.project!.name, role: row.role }));
  }

  async upsert(projectId: string, userId: string, role: Role, now: Date): Promise<void> {
    const updated = await this.memberships.update({ projectId, userId }, { role, updatedAt: now });
    if (updated.affected) return;
    try {
      await this.memberships.insert({ projectId, userId, role, createdAt: now, updatedAt: now });
    } catch (error) {
      // A concurrent PUT added the member first: this one's role wins, as if it came second.
      if (!isUniqueViolation(error)) throw error;
      await this.memberships.update({ projectId, userId }, { role, updatedAt: now });
    }
  }

  async delete(projectId: string, userId: string): Promise<void> {
    await this.memberships.delete({ projectId, userId });
  }

  countOwners(projectId: string): Promise<number> {
    return this.memberships.countBy({ projectId, role: 'owner' });
  }
}
