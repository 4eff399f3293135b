import type { Scope } from '@switchboard/auth';

export const ROLES = ['viewer', 'editor', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

const VIEWER: Scope[] = ['projects:read', 'connections:read', 'credentials:read'];
const EDITOR: Scope[] = [...VIEWER, 'connections:write', 'credentials:write', 'connections:test', 'data:read'];
const ADMIN: Scope[] = [...EDITOR, 'members:write', 'api-keys:write', 'secrets:reveal', 'audit:read', 'projects:write'];
const OWNER: Scope[] = [...ADMIN, 'projects:delete'];

/** Roles are named bundles of scopes (DESIGN §3); only owners may delete a project. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = { viewer: VIEWER, editor: EDITOR, admin: ADMIN, owner: OWNER };

/** Whether `scopes` include every power of `role`: what a caller needs to grant or take it away. */
export const holdsRole = (scopes: readonly Scope[], role: Role): boolean => ROLE_SCOPES[role].every((scope) => scopes.includes(scope));
