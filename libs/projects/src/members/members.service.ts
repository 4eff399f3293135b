import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { UsersRepository } from '@switchboard/auth';
import { conflict, forbidden, notFound, Page, PageQueryDto, pageWindow, toPage } from '@switchboard/common';
import type { ProjectAccess } from '../access/project-access';
import { ProjectAccessService } from '../access/project-access.service';
import { holdsRole, type Role, ROLE_SCOPES } from '../roles/roles';
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

  /** Adds the user or changes their role, within the caller's own powers (see assertMayChange). */
  async put(actor: AuditActor, access: ProjectAccess, userId: string, role: Role): Promise<MemberDto> {
    const user = await this.users.findById(userId);
    if (!user) throw notFound('User');
    const current = await this.memberships.find(access.project.id, userId);
    this.assertMayChange(actor, access, userId, current?.role, role);
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
    this.assertMayChange(actor, access, userId, current.role);
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

  /**
   * Decided by what the caller may do here (for a key: its scopes cut to its creator's role),
   * never by its creator's role alone: granting or taking away a role needs every scope of that
   * role, so nobody hands out powers they lack. Owner carries projects:delete, which only an
   * owner holds, so only an owner (or a key holding all of an owner's scopes) touches ownership.
   * A key acts for its creator, never on them: their own role is theirs to change, signed in.
   */
  private assertMayChange(actor: AuditActor, access: ProjectAccess, userId: string, from?: Role, to?: Role): void {
    if (actor.type === 'apiKey' && actor.userId === userId) {
      throw forbidden('An API key cannot change the membership of the user who created it; sign in as that user instead.');
    }
    for (const role of new Set([from, to])) {
      if (!role || holdsRole(access.scopes, role)) continue;
      const missing = ROLE_SCOPES[role].filter((scope) => !access.scopes.includes(scope));
      throw forbidden(`Granting or taking away the role "${role}" needs all of its scopes; you lack ${missing.join(', ')}.`);
    }
  }

  private async assertNotLastOwner(access: ProjectAccess): Promise<void> {
    if ((await this.memberships.countOwners(access.project.id)) <= 1) {
      throw conflict('A project keeps at least one owner; make someone else owner first.');
    }
  }
}
