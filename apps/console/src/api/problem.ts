import type { ConsumerRef, FieldError, Problem } from './types';

/** What the console shows of a failed call: the API's problem+json, or a stand-in when it sent none. */
export interface ShownProblem {
  title: string;
  detail: string;
  code: string;
  status: number;
  errors: FieldError[];
  /** A delete refused while consumers use the connection: who they are. */
  consumers?: ConsumerRef[];
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && 'code' in value && 'detail' in value && 'status' in value;
}

export function problemOf(error: unknown, response?: Response): ShownProblem {
  if (isProblem(error)) {
    const shown: ShownProblem = {
      title: error.title,
      detail: error.detail,
      code: error.code,
      status: error.status,
      errors: error.errors ?? [],
    };
    if (error.consumers) shown.consumers = error.consumers;
    return shown;
  }
  const status = response?.status ?? 0;
  return {
    title: status ? `The service answered ${status}` : 'The service could not be reached',
    detail: status ? 'The answer was not what the console expected.' : 'Check your network and try again.',
    code: status ? 'UNEXPECTED_ANSWER' : 'NETWORK_ERROR',
    status,
    errors: [],
  };
}

/** Field errors keyed by their field path (`name`, `config.host`, `secrets.password`). */
export function fieldErrorsOf(problem: ShownProblem | null): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const error of problem?.errors ?? [])
    byField[error.field] = byField[error.field] ? `${byField[error.field]}; ${error.message}` : error.message;
  return byField;
}
