import { useState } from 'react';
import { fieldErrorsOf, type ShownProblem } from '../api/problem';

/** A form's sending state: whether it is under way, and what the API refused (with its errors by field). */
export function useSubmission() {
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [busy, setBusy] = useState(false);
  return { problem, setProblem, busy, setBusy, errors: fieldErrorsOf(problem) };
}
