import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import type { ShownProblem } from '../api/problem';
import { useSession, useSessionState } from '../app-context';
import { ProblemAlert } from '../ui/ProblemAlert';
import { useTitle } from '../ui/use-title';

/** Only a path inside the console: `next` comes from the URL, so it must not send the user elsewhere. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : '/projects';
}

export function SignIn() {
  useTitle('Sign in');
  const session = useSession();
  const { tokens } = useSessionState();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  useEffect(() => emailRef.current?.focus(), []);
  if (tokens) return <Navigate to={safeNext(params.get('next'))} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const failed = await session.signIn(email, password);
    setBusy(false);
    if (failed) {
      setProblem(failed);
      setPassword('');
    }
  };

  return (
    <main className="sign-in">
      <form onSubmit={submit} className="card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Switchboard</h1>
        <p className="muted">Sign in to manage, test and explore your project's connections.</p>
        {params.get('expired') && !problem && (
          <p className="notice" role="status">
            Your session has ended. Sign in again to go back where you were.
          </p>
        )}
        {problem && <ProblemAlert problem={problem} title={problem.status === 401 ? 'Wrong email or password' : undefined} />}
        <div className="field">
          <label htmlFor="email">Email</label>
          <input
            id="email"
            ref={emailRef}
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
