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
      <AddMember
        onAdded={(email, role) => {
          setSaved(`${email} was added as ${role}.`);
          members.reload();
        }}
      />
    </main>
  );
}

/**
 * Adds by email (or changes the role of a member). The API finds only people the caller can
 * already see, and answers the same for anyone else as for an unknown email.
 */
function AddMember({ onAdded }: { onAdded: (email: string, role: Role) => void }) {
  const api = useApi();
  const { project } = useProject();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const { problem, setProblem, busy, setBusy, errors } = useSubmission();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const wanted = email.trim();
    setBusy(true);
    const { data, error, response } = await api.POST('/api/v1/projects/{project}/members', {
      params: { path: { project: project.slug } },
      body: { email: wanted, role },
    });
    setBusy(false);
    if (!data) return setProblem(problemOf(error, response));
    setProblem(null);
    setEmail('');
    onAdded(data.email, data.role);
  };
  return (
    <section aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add a member</h2>
      <p className="help" id="add-member-help">
        Someone who already belongs to one of your projects. To add anyone else, ask an instance admin.
      </p>
      <form className="form inline-form" onSubmit={submit} noValidate aria-describedby="add-member-help">
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
