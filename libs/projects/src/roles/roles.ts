import type { Scope } from '@switchboard/auth';

export const ROLES = ['viewer', 'editor', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

const VIEWER: Scope[] = ['projects:read', 'connections:read', 'credentials:read'];
const EDITOR: Scope[] = [...VIEWER, 'connections:write', 'credentials:write', 'connections:test', 'data:read'];
const ADMIN: Scope[] = [...EDITOR, 'members:write', 'api-keys:write', 'secrets:reveal', 'audit:read', 'projects:write'];
const OWNER: Scope[] = [...ADMIN, 'projects:delete'];

/** Roles are named bundles of scopes (DESIGN §3); only owners may delete a project. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = { viewer: VIEWER, editor: EDITOR, admin: ADMIN, owner: OWNER };

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

export const outranks = (role: Role, other: Role): boolean => RANK[role] >= RANK[other];
