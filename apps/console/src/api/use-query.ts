import { useCallback, useEffect, useRef, useState } from 'react';
import { problemOf, type ShownProblem } from './problem';

export interface Loaded<T> {
  data: T | undefined;
  problem: ShownProblem | null;
  loading: boolean;
  reload: () => void;
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/**
 * Runs `load` when `key` changes (and on reload), keeping only the latest answer: a slow
 * earlier answer never overwrites a newer one.
 */
export function useQuery<T>(key: string, load: (() => Promise<Answer<T>>) | null): Loaded<T> {
  const [state, setState] = useState<{ key: string; data?: T; problem: ShownProblem | null; loading: boolean }>({
    key,
    problem: null,
    loading: load !== null,
  });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const current = loadRef.current;
    if (!current) return;
    let live = true;
    setState((previous) => ({ key, data: previous.key === key ? previous.data : undefined, problem: null, loading: true }));
    current().then(
      (answer) => {
        if (!live) return;
        if (answer.data !== undefined) setState({ key, data: answer.data, problem: null, loading: false });
        else setState({ key, problem: problemOf(answer.error, answer.response), loading: false });
      },
      () => live && setState({ key, problem: problemOf(undefined), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data: state.key === key ? state.data : undefined, problem: state.problem, loading: state.loading, reload };
}
