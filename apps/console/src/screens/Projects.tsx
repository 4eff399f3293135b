import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { fieldErrorsOf, problemOf, type ShownProblem } from '../api/problem';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { ProblemAlert } from '../ui/ProblemAlert';
import { TextField } from '../ui/TextField';
import { useTitle } from '../ui/use-title';

export function Projects() {
  useTitle('Projects');
  const api = useApi();
  const [page, setPage] = useState(1);
  const projects = useQuery(`projects:${page}`, () => api.GET('/api/v1/projects', { params: { query: { page, perPage: 50 } } }));
  const me = useQuery('me', () => api.GET('/api/v1/auth/me'));
  const pages = projects.data ? Math.max(1, Math.ceil(projects.data.meta.total / projects.data.meta.perPage)) : 1;
  return (
    <main>
      <h1>Projects</h1>
      {projects.problem && <ProblemAlert problem={projects.problem} />}
      {projects.data && (
        <>
          {projects.data.data.length === 0 ? (
            <p>You belong to no project yet.</p>
          ) : (
            <ul className="cards">
              {projects.data.data.map((project) => (
                <li key={project.id} className="card">
                  <Link to={`/projects/${project.slug}/connections`}>{project.name}</Link>
                  <p className="muted">
                    <code>{project.slug}</code> · {project.role ?? 'API key'}
                  </p>
                  {project.description && <p>{project.description}</p>}
                </li>
              ))}
            </ul>
          )}
          {pages > 1 && (
            <nav className="pager" aria-label="Pages">
              <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
                Previous page
              </button>
              <span>
                Page {page} of {pages}
              </span>
              <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>
                Next page
              </button>
            </nav>
          )}
        </>
      )}
      {projects.loading && <p role="status">Loading…</p>}
      {/* API keys belong to one project and cannot create projects; every signed-in user can. */}
      {me.data && !me.data.apiKey && <CreateProject />}
    </main>
  );
}

function CreateProject() {
  const api = useApi();
  const navigate = useNavigate();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrorsOf(problem);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const { data, error, response } = await api.POST('/api/v1/projects', { body: { slug, name, description: description || undefined } });
    setBusy(false);
    if (data) navigate(`/projects/${data.slug}/connections`);
    else setProblem(problemOf(error, response));
  };
  return (
    <section aria-labelledby="create-project">
      <h2 id="create-project">Create a project</h2>
      <form onSubmit={submit} noValidate className="form">
        {problem && <ProblemAlert problem={problem} />}
        <TextField id="project-name" label="Name" value={name} onChange={setName} error={errors.name} required />
        <TextField
          id="project-slug"
          label="Slug"
          value={slug}
          onChange={setSlug}
          error={errors.slug}
          required
          help="Lowercase letters, digits and hyphens; used in URLs."
        />
        <TextField id="project-description" label="Description" value={description} onChange={setDescription} error={errors.description} />
        <button type="submit" className="primary" disabled={busy}>
          Create project
        </button>
      </form>
    </section>
  );
}
