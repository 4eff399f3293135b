import type { ShownProblem } from '../api/problem';

/** A failed call as the API explained it: title, detail, code; field errors are shown at their fields. */
export function ProblemAlert({ problem, title }: { problem: ShownProblem; title?: string }) {
  return (
    <div className="problem" role="alert">
      <strong>{title ?? problem.title}</strong>
      <p>{problem.detail}</p>
      <p className="code">
        <code>{problem.code}</code>
        {problem.status ? ` · HTTP ${problem.status}` : ''}
      </p>
    </div>
  );
}
