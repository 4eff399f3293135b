/**
 * Builds what a test needs through the public API, each call asserting that the service
 * accepted it, so a spec states only what it is about.
 */
import { expectOk, TestApp } from './test-app';

const API = '/api/v1';

export interface CreatedProject {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  role: string;
  createdBy: string;
}

/** A project owned by the holder of `token`, named after its slug unless `name` says otherwise. */
export async function createProject(t: TestApp, token: string, slug: string, name = slug, description?: string): Promise<CreatedProject> {
  const body = { slug, name, ...(description !== undefined && { description }) };
  return expectOk(await t.call('POST', `${API}/projects`, { token, body }), 201) as CreatedProject;
}

/** Adds `userId` to `project` with `role`, or changes their role; returns the membership. */
export async function putMember(t: TestApp, token: string, project: string, userId: string, role: string): Promise<Record<string, any>> {
  return expectOk(await t.call('PUT', `${API}/projects/${project}/members/${userId}`, { token, body: { role } }));
}

/** A project API key with `scopes`; `key` is the secret, shown only on creation. */
export async function createApiKey(
  t: TestApp,
  token: string,
  project: string,
  scopes: string[] = ['projects:read'],
): Promise<{ id: string; key: string }> {
  const body = { name: `key-${project}`, scopes };
  return expectOk(await t.call('POST', `${API}/projects/${project}/api-keys`, { token, body }), 201) as { id: string; key: string };
}
