import { useState, type FormEvent } from 'react';
import { problemOf, type ShownProblem } from '../api/problem';
import type { Member, Role } from '../api/types';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { GridHead } from '../ui/GridHead';
import { ProblemAlert } from '../ui/ProblemAlert';
import { TextField } from '../ui/TextField';
import { useSubmission } from '../ui/use-submission';
import { useTitle } from '../ui/use-title';
import { useProject } from './ProjectLayout';

const ROLES: Role[] = ['viewer', 'editor', 'admin', 'owner'];

const RoleOptions = () =>
  ROLES.map((role) => (
    <option key={role} value={role}>
      {role}
    </option>
  ));

/** A project's members and their roles: add by email, change a role, remove (members:write). */
export function Members() {
  useTitle('Members');
  const api = useApi();
  const { project } = useProject();
  const path = { project: project.slug };
  const members = useQuery(`members:${project.id}`, () =>
    api.GET('/api/v1/projects/{project}/members', { params: { path, query: { perPage: 100 } } }),
  );
  const me = useQuery('me', () => api.GET('/api/v1/auth/me'));
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState('');

  const changeRole = async (userId: string, email: string, role: Role) => {
    const { error, response } = await api.PUT('/api/v1/projects/{project}/members/{userId}', {
      params: { path: { ...path, userId } },
      body: { role },
    });
    if (!response.ok) setProblem(problemOf(error, response));
    else {
      setProblem(null);
      setSaved(`${email} is now ${role}.`);
    }
    members.reload();
  };
  const remove = async (userId: string, email: string) => {
    if (!window.confirm(`Remove ${email} from ${project.name}? Their API keys for this project stop working.`)) return;
    const { error, response } = await api.DELETE('/api/v1/projects/{project}/members/{userId}', { params: { path: { ...path, userId } } });
    if (!response.ok) setProblem(problemOf(error, response));
    else {
      setProblem(null);
      setSaved(`${email} was removed.`);
      members.reload();
    }
  };

  return (
    <main>
      <h1>Members</h1>
      <section aria-labelledby="members-title">
        <h2 id="members-title">Members of {project.name}</h2>
        {saved && (
          <p className="notice" role="status">
            {saved}
          </p>
        )}
        {problem && <ProblemAlert problem={problem} />}
        {members.problem && <ProblemAlert problem={members.problem} />}
        {members.data && (
          <table className="grid">
            <caption className="visually-hidden">Members</caption>
            <GridHead columns={['Name', 'Email', 'Role']} actions />
            <tbody>
              {members.data.data.map((member) => (
                <MemberRow key={member.userId} member={member} onRole={changeRole} onRemove={remove} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      {me.data?.user.isAdmin ? (
        <AddMember
          onAdded={(email, role) => {
            setSaved(`${email} was added as ${role}.`);
            members.reload();
          }}
        />
      ) : (
        <p className="help">To add someone, ask an instance admin: only they may look users up by email.</p>
      )}
    </main>
  );
}

/** The API adds members by user id; the user list (instance admins only) turns an email into one. */
function AddMember({ onAdded }: { onAdded: (email: string, role: Role) => void }) {
  const api = useApi();
  const { project } = useProject();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const { problem, setProblem, busy, setBusy, errors } = useSubmission();

  const userIdOf = async (wanted: string): Promise<string | null | ShownProblem> => {
    for (let page = 1; ; page += 1) {
      const { data, error, response } = await api.GET('/api/v1/users', { params: { query: { page, perPage: 100 } } });
      if (!data) return problemOf(error, response);
      const found = data.data.find((user) => user.email.toLowerCase() === wanted);
      if (found) return found.id;
      if (page * 100 >= data.meta.total) return null;
    }
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const wanted = email.trim().toLowerCase();
    const atField = (message: string) =>
      setProblem({
        title: 'Some fields need attention',
        detail: message,
        code: 'VALIDATION_FAILED',
        status: 0,
        errors: [{ field: 'email', message }],
      });
    if (!wanted) return atField('is required');
    setBusy(true);
    const userId = await userIdOf(wanted);
    if (typeof userId !== 'string') {
      setBusy(false);
      return userId ? setProblem(userId) : atField('no user has this email');
    }
    const { error, response } = await api.PUT('/api/v1/projects/{project}/members/{userId}', {
      params: { path: { project: project.slug, userId } },
      body: { role },
    });
    setBusy(false);
    if (!response.ok) return setProblem(problemOf(error, response));
    setProblem(null);
    setEmail('');
    onAdded(wanted, role);
  };
  return (
    <section aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add a member</h2>
      <form className="form inline-form" onSubmit={submit} noValidate>
        {problem && !errors.email && <ProblemAlert problem={problem} />}
        <TextField id="member-email" label="Email" type="email" value={email} onChange={setEmail} error={errors.email} required />
        <div className="field">
          <label htmlFor="member-role">Role</label>
          <select id="member-role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
            <RoleOptions />
          </select>
        </div>
        <button type="submit" className="primary" disabled={busy}>
          Add member
        </button>
      </form>
    </section>
  );
}

interface RowProps {
  member: Member;
  onRole: (userId: string, email: string, role: Role) => Promise<void>;
  onRemove: (userId: string, email: string) => Promise<void>;
}

function MemberRow({ member, onRole, onRemove }: RowProps) {
  return (
    <tr>
      <td>{member.name}</td>
      <td>{member.email}</td>
      <td>
        <label htmlFor={`role-${member.userId}`} className="visually-hidden">
          Role of {member.email}
        </label>
        <select
          id={`role-${member.userId}`}
          value={member.role}
          onChange={(event) => void onRole(member.userId, member.email, event.target.value as Role)}
        >
          <RoleOptions />
        </select>
      </td>
      <td>
        <button type="button" aria-label={`Remove ${member.email}`} onClick={() => void onRemove(member.userId, member.email)}>
          Remove
        </button>
      </td>
    </tr>
  );
}
