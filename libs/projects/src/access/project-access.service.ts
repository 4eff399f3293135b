import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Principal, Scope } from '@switchboard/auth';
import { CoherentCache, InstanceEvents } from '@switchboard/database';
import { MembershipsRepository } from '../members/memberships.repository';
import type { ProjectEntity } from '../projects/project.entity';
import { ProjectsRepository } from '../projects/projects.repository';
import { type Role, ROLE_SCOPES } from '../roles/roles';
import type { ProjectAccess } from './project-access';

export const PROJECTS_TOPIC = 'projects';
const TTL_MS = 60_000;

/** A project renamed or deleted, or a membership changed: what the access caches must drop. */
export type ProjectChange = { kind: 'project'; id: string } | { kind: 'membership'; projectId: string; userId: string };

/**
 * Who may do what in which project. Every project-scoped request asks, so the project (by
 * slug or id) and the caller's role are kept in memory and dropped, here and on every other
 * instance, as soon as a project or membership changes.
 */
@Injectable()
export class ProjectAccessService implements OnModuleInit {
  private readonly projectsByRef: CoherentCache<ProjectEntity | null>;
  private readonly roles: CoherentCache<Role | null>;

  constructor(
    private readonly projects: ProjectsRepository,
    private readonly memberships: MembershipsRepository,
    private readonly events: InstanceEvents,
  ) {
    this.projectsByRef = new CoherentCache(events, 10_000, TTL_MS);
    this.roles = new CoherentCache(events, 50_000, TTL_MS);
  }

  onModuleInit(): void {
    this.events.subscribe(PROJECTS_TOPIC, (event) => {
      if (event.kind === 'project') this.projectsByRef.invalidate((project) => project?.id === event.id);
      else if (event.kind === 'membership') this.roles.invalidate((_, key) => key === `${event.projectId}:${event.userId}`);
      else {
        this.projectsByRef.invalidate();
        this.roles.invalidate();
      }
    });
  }

  /** Call after the change is committed. */
  changed(change: ProjectChange): Promise<void> {
    return this.events.publish({ topic: PROJECTS_TOPIC, ...change });
  }

  /** The project `ref` (slug or id) names, if `principal` may see it. */
  async resolveRef(principal: Principal, ref: string): Promise<ProjectAccess | null> {
    // Unknown refs are not kept: a project created a moment later must be found.
    // Slugs and ids are stored lowercase: any case finds them, under one cache key.
    const key = ref.toLowerCase();
    const project = await this.projectsByRef.get(key, () => this.projects.findByRef(key));
    return project ? this.resolve(principal, project) : null;
  }

  /**
   * What `principal` may do in `project`, or null when it may not see it at all. Instance
   * admins act as owners everywhere. A key is confined to its own project and to the
   * intersection of its scopes with what its creator holds there today.
   */
  async resolve(principal: Principal, project: ProjectEntity): Promise<ProjectAccess | null> {
    if (principal.kind === 'apiKey' && principal.projectId !== project.id) return null;
    const membership = await this.roles.get(
      `${project.id}:${principal.userId}`,
      async () => (await this.memberships.find(project.id, principal.userId))?.role ?? null,
      () => true,
    );
    const role: Role | null = membership ?? (principal.isAdmin ? 'owner' : null);
    if (!role) return null;
    const roleScopes = ROLE_SCOPES[role];
    const scopes: readonly Scope[] =
      principal.kind === 'apiKey' ? roleScopes.filter((scope) => principal.scopes.includes(scope)) : roleScopes;
    return { project, role, scopes };
  }
}
