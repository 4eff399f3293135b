import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { type Principal, UsersRepository } from '@switchboard/auth';
import { AppError, conflict, ErrorCode, forbidden, notFound, Page, PageQueryDto, pageWindow, toPage } from '@switchboard/common';
import type { ProjectAccess } from '../access/project-access';
import { ProjectAccessService } from '../access/project-access.service';
import { holdsRole, type Role, ROLE_SCOPES } from '../roles/roles';
import { MemberDto, toMemberDto } from './member.dto';
import type { MembershipEntity } from './membership.entity';
import { MembershipsRepository, type UserSight } from './memberships.repository';

/** A change that lost a race is decided again once on what won, then refused (409). */
const CHANGE_ATTEMPTS = 2;

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
    const now = new Date();
    const previous = await this.change(actor, access, userId, role, now);
    await this.audit.record({
      actor,
      projectId: access.project.id,
      action: 'member.put',
      target: { type: 'user', id: userId, name: user.email },
      details: { role, previousRole: previous?.role ?? null },
    });
    const createdAt = previous?.createdAt ?? now;
    return toMemberDto({ userId, email: user.email, name: user.name, role, createdAt, updatedAt: now });
  }

  /**
   * Adds (or re-roles) the user with this email, among the users the caller can already see
   * (see MembershipsRepository.findVisibleUserId): an email outside them answers exactly like
   * one nobody has, so the route cannot be used to learn who has an account.
   */
  async addByEmail(actor: AuditActor, principal: Principal, access: ProjectAccess, email: string, role: Role): Promise<MemberDto> {
    const userId = await this.memberships.findVisibleUserId(email, this.sightOf(principal, access));
    if (!userId) {
      throw new AppError(ErrorCode.NOT_FOUND, 'No user you can see has this email; an instance admin can add anyone.', {
        errors: [{ field: 'email', message: 'no user you can see has this email' }],
      });
    }
    return this.put(actor, access, userId, role);
  }

  /** Whom the caller can already look up: signed-in instance admins everyone, others their fellow members. */
  private sightOf(principal: Principal, access: ProjectAccess): UserSight {
    if (principal.kind === 'apiKey') return { inProject: access.project.id };
    return principal.isAdmin ? 'everyone' : { sharingWith: principal.userId };
  }

  async remove(actor: AuditActor, access: ProjectAccess, userId: string): Promise<void> {
    const previous = (await this.change(actor, access, userId, null, new Date()))!;
    await this.audit.record({
      actor,
      projectId: access.project.id,
      action: 'member.remove',
      target: { type: 'user', id: userId },
      details: { previousRole: previous.role },
    });
  }

  /**
   * Decides on the membership as read, then writes only if it still is (see
   * MembershipsRepository.change). A change that lost a race to another is decided again on
   * what won, once; then it is refused. Returns the membership it replaced.
   */
  private async change(
    actor: AuditActor,
    access: ProjectAccess,
    userId: string,
    to: Role | null,
    now: Date,
  ): Promise<MembershipEntity | null> {
    const projectId = access.project.id;
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const current = await this.memberships.find(projectId, userId);
      if (!current && !to) throw notFound('Member');
      this.assertMayChange(actor, access, userId, current?.role, to ?? undefined);
      const outcome = await this.memberships.change(projectId, userId, current?.role ?? null, to, now);
      if (outcome === 'lastOwner') throw conflict('A project keeps at least one owner; make someone else owner first.');
      if (outcome === 'applied') {
        await this.projectAccess.changed({ kind: 'membership', projectId, userId });
        return current;
      }
    }
    throw conflict('The membership was changed by someone else at the same time; read it again and retry.');
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
}
