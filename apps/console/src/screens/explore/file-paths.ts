import type { ShownProblem } from '../../api/problem';

/** One level of the folder path above a listing, and the prefix that lists it. */
export interface Crumb {
  label: string;
  prefix: string;
}

/** The folder path of `prefix` ("data/2026/") as crumbs: the root, then each folder down to it. */
export function breadcrumbs(prefix: string): Crumb[] {
  const crumbs: Crumb[] = [{ label: 'Root', prefix: '' }];
  if (!prefix) return crumbs;
  const levels = (prefix.endsWith('/') ? prefix.slice(0, -1) : prefix).split('/');
  let at = '';
  for (const level of levels) {
    at += `${level}/`;
    // S3 keys may hold "//": an empty level is still a folder.
    crumbs.push({ label: level || '(no name)', prefix: at });
  }
  return crumbs;
}

/** What the listing of `prefix` shows of a key or folder: the part below the prefix. */
export function nameBelow(prefix: string, key: string): string {
  const name = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  return name || '(no name)';
}

/** The folder a key lies in, as a listing prefix ('' at the root). */
export function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

/** A file size a person reads at a glance: "512 bytes", "1.5 MiB". */
export function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} ${value === 1 ? 'byte' : 'bytes'}` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** Why a folder or a file's columns could not be read, in words; the API's detail says the rest. */
export function fileProblemTitle(problem: ShownProblem, what: 'folder' | 'file'): string | undefined {
  switch (problem.status) {
    case 403:
      return `You may not read this ${what} here`;
    case 404:
      return `There is no such ${what}: it may have been moved or deleted`;
    case 422:
      return what === 'file' ? "Switchboard cannot read this file's columns" : 'This folder cannot be listed';
    case 502:
      return `The file store failed to answer for this ${what}`;
    case 504:
      return `The file store took too long to answer for this ${what}`;
    default:
      return undefined;
  }
}
