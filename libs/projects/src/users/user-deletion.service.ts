import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { AuthCache, UsersRepository } from '@switchboard/auth';
import { conflict, notFound } from '@switchboard/common';
import { MembershipsRepository } from '../members/memberships.repository';

/** How many project slugs a refusal names before it says "and N more". */
const NAMED_PROJECTS = 10;

/**
 * Deleting a user takes their memberships with them, so it follows the member rules: a project
 * keeps an owner. Here rather than in auth, which cannot see memberships.
 */
@Injectable()
export class UserDeletionService {
  constructor(
    private readonly users: UsersRepository,
    private readonly memberships: MembershipsRepository,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
  ) {}

  async delete(actor: AuditActor, id: string): Promise<void> {
    const user = await this.users.findById(id);
    if (!user) throw notFound('User');
    if (id === actor.userId) throw conflict('You cannot delete your own account; ask another admin.');
    const outcome = await this.memberships.deleteUser(id);
    if (outcome === 'notFound') throw notFound('User');
    if (outcome !== 'deleted') throw conflict(lastOwnerDetail(outcome.lastOwnerOf));
    await this.cache.changed({ kind: 'user', id });
    await this.audit.record({ actor, action: 'user.delete', target: { type: 'user', id, name: user.email } });
  }
}

function lastOwnerDetail(slugs: string[]): string {
  if (!slugs.length) return "An owner of one of this user's projects changed at the same time; retry.";
  const named = slugs.slice(0, NAMED_PROJECTS).map((slug) => `"${slug}"`);
  if (slugs.length > NAMED_PROJECTS) named.push(`and ${slugs.length - NAMED_PROJECTS} more`);
  return `This user is the last owner of ${named.join(', ')}; transfer ownership first (make someone else owner there), then delete.`;
}
