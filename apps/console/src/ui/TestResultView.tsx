import type { TestResult } from '../api/types';

const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

/** A connection test: its outcome, then every stage with its latency and, when it failed, the code and message. */
export function TestResultView({ result }: { result: TestResult }) {
  return (
    <section className={`test-result ${result.success ? 'ok' : 'failed'}`} aria-labelledby="test-result-title" role="status">
      <h3 id="test-result-title">{result.success ? 'Connection works' : 'Connection failed'}</h3>
      <p>
        {result.message}{' '}
        <span className="muted">
          ({ms(result.latencyMs)}
          {result.serverVersion ? `, server ${result.serverVersion}` : ''})
        </span>
      </p>
      {result.error && (
        <p className="error">
          <code>{result.error.code}</code> {result.error.message}
        </p>
      )}
      <table className="grid compact">
        <caption className="visually-hidden">Test stages</caption>
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Result</th>
            <th scope="col">Latency</th>
            <th scope="col">Code</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {result.stages.map((stage, index) => (
            <tr key={`${stage.name}-${index}`}>
              <td>{stage.name}</td>
              <td>
                <span className={`badge ${stage.ok ? 'ok' : 'bad'}`}>{stage.ok ? 'OK' : 'Failed'}</span>
              </td>
              <td>{ms(stage.latencyMs)}</td>
              <td>{stage.error ? <code>{stage.error.code}</code> : '—'}</td>
              <td>{stage.error?.message ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
