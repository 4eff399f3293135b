import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { withChanges } from './url-params';

/**
 * A list's filters and page, kept in the URL (deep links, reload, back button). `typedKey` is
 * the text filter: what is typed reaches the URL after a pause, not with every key stroke.
 */
export function useUrlFilters(typedKey: string) {
  const [params, setParams] = useSearchParams();
  const applied = params.get(typedKey) ?? '';
  const [typed, setTyped] = useState(applied);
  const page = Math.max(1, Number(params.get('page')) || 1);
  const update = (changes: Record<string, string>) => {
    setParams(withChanges(params, changes), { replace: typedKey in changes });
  };
  useEffect(() => {
    if (typed === applied) return;
    const timer = setTimeout(() => update({ [typedKey]: typed, page: '' }), 250);
    return () => clearTimeout(timer);
  }, [typed]);
  return { params, page, applied, typed, setTyped, update };
}
