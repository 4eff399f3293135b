/** What a file's name says about its format; the content has the last word (see infer-file-schema.ts). */
export type FormatHint = 'csv' | 'tsv' | 'text' | 'jsonl' | 'json' | 'parquet';

export interface PathHint {
  /** Null for an unknown or missing extension: the head is sniffed. */
  hint: FormatHint | null;
  /** Named .gz / .gzip (the content's gzip magic decides whether to inflate). */
  gzip: boolean;
}

const EXTENSIONS: Record<string, FormatHint> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  txt: 'text',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'json',
  parquet: 'parquet',
  parq: 'parquet',
  pq: 'parquet',
};

function extension(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

export function formatFromPath(path: string): PathHint {
  const outer = extension(path);
  const gzip = outer === 'gz' || outer === 'gzip';
  const inner = gzip ? extension(path.slice(0, path.lastIndexOf('.'))) : outer;
  return { hint: EXTENSIONS[inner] ?? null, gzip };
}
