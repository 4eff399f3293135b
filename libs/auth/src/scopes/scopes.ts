/** Every permission a caller can hold inside a project (DESIGN §3). */
export const SCOPES = [
  'projects:read',
  'projects:write',
  'projects:delete',
  'members:write',
  'api-keys:write',
  'credentials:read',
  'credentials:write',
  'connections:read',
  'connections:write',
  'connections:test',
  'data:read',
  'secrets:reveal',
  'audit:read',
] as const;

export type Scope = (typeof SCOPES)[number];

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);
