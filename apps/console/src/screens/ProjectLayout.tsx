import { createContext, useContext } from 'react';
import { NavLink, Outlet, useParams } from 'react-router';
import type { Project, Scope } from '../api/types';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { ProblemAlert } from '../ui/ProblemAlert';

interface ProjectAccess {
  project: Project;
  /** Whether the caller holds `scope` here: the console offers only what the API would allow. */
  can: (scope: Scope) => boolean;
}

const ProjectContext = createContext<ProjectAccess | null>(null);

export function useProject(): ProjectAccess {
  const access = useContext(ProjectContext);
  if (!access) throw new Error('outside a project');
  return access;
}

/** A project's screens, with what the caller may do there (the project's `scopes`). */
export function ProjectLayout() {
  const api = useApi();
  const { project: ref = '' } = useParams();
  const loaded = useQuery(`project:${ref}`, () => api.GET('/api/v1/projects/{project}', { params: { path: { project: ref } } }));
  if (loaded.problem) {
    return (
      <main>
        <h1>Project {ref}</h1>
        <ProblemAlert problem={loaded.problem} />
      </main>
    );
  }
  const project = loaded.data;
  if (!project) return <p role="status">Loading project…</p>;
  const access: ProjectAccess = { project, can: (scope) => project.scopes.includes(scope) };
  return (
    <ProjectContext.Provider value={access}>
      <nav className="project-nav" aria-label="Project">
        <span className="project-name">{project.name}</span>
        <NavLink to={`/projects/${project.slug}/connections`}>Connections</NavLink>
        {access.can('api-keys:write') && <NavLink to={`/projects/${project.slug}/api-keys`}>API keys</NavLink>}
        {access.can('members:write') && <NavLink to={`/projects/${project.slug}/members`}>Members</NavLink>}
        {access.can('audit:read') && <NavLink to={`/projects/${project.slug}/audit`}>Audit events</NavLink>}
        <NavLink to="/projects" end>
          All projects
        </NavLink>
      </nav>
      <Outlet />
    </ProjectContext.Provider>
  );
}
