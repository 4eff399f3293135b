import { useState, type FormEvent } from 'react';
import { problemOf } from '../../api/problem';
import type { TestEmailResult } from '../../api/types';
import { useApi } from '../../app-context';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { TextField } from '../../ui/TextField';
import { useSubmission } from '../../ui/use-submission';
import { useProject } from '../ProjectLayout';

const list = (addresses: string[]) => (addresses.length ? addresses.join(', ') : 'none');

/** One real message through the connection's mail server, and what the server said of each recipient. */
export function SendTestEmail({ name }: { name: string }) {
  const api = useApi();
  const { project } = useProject();
  const [to, setTo] = useState('');
  const [sent, setSent] = useState<{ result: TestEmailResult; roundTripMs: number } | null>(null);
  const { problem, setProblem, busy, setBusy, errors } = useSubmission();
  const send = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    setSent(null);
    const started = performance.now();
    const { data, error, response } = await api.POST('/api/v1/projects/{project}/connections/{connection}/send-test-email', {
      params: { path: { project: project.slug, connection: name } },
      body: to.trim() ? { to: to.trim() } : {},
    });
    setBusy(false);
    if (data) setSent({ result: data, roundTripMs: performance.now() - started });
    else setProblem(problemOf(error, response));
  };
  const result = sent?.result;
  return (
    <section aria-labelledby="test-email-title">
      <h2 id="test-email-title">Test email</h2>
      <form className="form inline" onSubmit={send} noValidate>
        <TextField
          id="test-email-to"
          label="To"
          type="email"
          value={to}
          onChange={setTo}
          error={errors.to}
          help="Leave empty to send to the connection's address to test."
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send test email'}
        </button>
      </form>
      {problem && <ProblemAlert problem={problem} title={problem.status === 400 ? 'The message was not sent' : undefined} />}
      {sent && result && (
        <div className={`test-result ${result.success ? 'ok' : 'failed'}`} role="status">
          <h3>{result.success ? 'Test email sent' : 'Test email not sent'}</h3>
          {result.error && (
            <p className="error">
              <code>{result.error.code}</code> {result.error.message}
            </p>
          )}
          <dl className="details">
            <dt>Accepted</dt>
            <dd>{list(result.accepted)}</dd>
            <dt>Rejected</dt>
            <dd>{list(result.rejected)}</dd>
            <dt>Message id</dt>
            <dd>{result.messageId ? <code>{result.messageId}</code> : '—'}</dd>
            <dt>Server said</dt>
            <dd>{result.response ? <code>{result.response}</code> : '—'}</dd>
            <dt>Round trip</dt>
            <dd>{Math.round(sent.roundTripMs)} ms</dd>
          </dl>
        </div>
      )}
    </section>
  );
}
