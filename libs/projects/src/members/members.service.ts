import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { UsersRepository } from '@switchboard/auth';
import { conflict, forbidden, notFound, Page, PageQueryDto, pageWindow, toPage } from '@switchboard/common';
import type { ProjectAccess } from '../access/project-access';
import { ProjectAccessService } from '../access/project-access.service';
import type { Role } from '../roles/roles';
import { MemberDto, toMemberDto } from './member.dto';
import { MembershipsRepository } from './memberships.repository';

@Injectable()
export class MembersService {
  constructor(
    private readonly memberships: MembershipsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly projectAccess: ProjectAccessService,
  ) {}

  async list(access: ProjectAccess, query: PageQueryDto): Promise<Page<MemberDto>> {
    const [rows, total] = await this.memberships.listInProject(access.project.id, pageWindow(query));
    return toPage(rows, total, query, toMemberDto);
  }

  /** Adds the user or changes their role. Only owners grant or take away ownership. */
  async put(actor: AuditActor, access: ProjectAccess, userId: string, role: Role): Promise<MemberDto> {
    const user = await this.users.findById(userId);
    if (!user) throw notFound('User');
    const current = await this.memberships.find(access.project.id, userId);
    this.assertMayChange(access, current?.role, role);
    if (current?.role === 'owner' && role !== 'owner') await this.assertNotLastOwner(access);
    const now = new Date();
    await this.memberships.upsert(access.project.id, userId, role, now);
    await this.projectAccess.changed({ kind: 'membership', projectId: access.project.id, userId });
    const saved = (await this.memberships.find(access.project.id, userId))!;
    await this.audit.record({
      actor,
      projectId: access.project.id,
      action: 'member.put',
      target: { type: 'user', id: userId, name: user.email },
      details: { role, previousRole: current?.role ?? null },
    });
    return toMemberDto({ userId, email: user.email, name: user.name, role, createdAt: saved.createdAt, updatedAt: saved.updatedAt });
  }

  async remove(actor: AuditActor, access: ProjectAccess, userId: string): Promise<void> {
    const current = await this.memberships.find(access.project.id, userId);
    if (!current) throw notFound('Member');
    this.assertMayChange(access, current.role);
    if (current.role === 'owner') await this.assertNotLastOwner(access);
    await this.memberships.delete(access.project.id, userId);
    await this.projectAccess.changed({ kind: 'membership', projectId: access.project.id, userId });
    await this.audit.record({
      actor,
      projectId: access.project.id,
      action: 'member.remove',
      target: { type: 'user', id: userId },
      details: { previousRole: current.role },
    });
  }

  private assertMayChange(access: ProjectAccess, from?: Role, to?: Role): void {
    if ((from === 'owner' || to === 'owner') && access.role !== 'owner') {
      throw forbidden('Only owners can grant or take away ownership.');
    }
  }

  private async assertNotLastOwner(access: ProjectAccess): Promise<void> {
    if ((await this.memberships.countOwners(access.project.id)) <= 1) {
      throw conflict('A project keeps at least one owner; make someone else owner first.');
    }
  }
}
