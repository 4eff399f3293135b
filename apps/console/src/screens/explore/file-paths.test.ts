import { describe, expect, it } from 'vitest';
import { breadcrumbs, fileProblemTitle, folderOf, humanSize, nameBelow } from './file-paths';
import { withChanges } from '../../ui/url-params';

const problem = (status: number) => ({ title: 'T', detail: 'D', code: 'C', status, errors: [] });

describe('file paths', () => {
  it('builds the crumbs of a folder, each with the prefix that lists it', () => {
    expect(breadcrumbs('')).toEqual([{ label: 'Root', prefix: '' }]);
    expect(breadcrumbs('data/2026/')).toEqual([
      { label: 'Root', prefix: '' },
      { label: 'data', prefix: 'data/' },
      { label: '2026', prefix: 'data/2026/' },
    ]);
    // An empty level (S3 "a//b/") keeps its place in the prefixes.
    expect(breadcrumbs('a//b/').map((crumb) => crumb.prefix)).toEqual(['', 'a/', 'a//', 'a//b/']);
    expect(breadcrumbs('a//b/')[2].label).toBe('(no name)');
  });

  it('names keys and folders below the listed prefix, and finds the folder of a key', () => {
    expect(nameBelow('data/', 'data/customers.csv')).toBe('customers.csv');
    expect(nameBelow('data/', 'data/2026/')).toBe('2026/');
    expect(nameBelow('', 'README.txt')).toBe('README.txt');
    expect(nameBelow('data/', 'other/x')).toBe('other/x');
    expect(folderOf('data/2026/orders.csv')).toBe('data/2026/');
    expect(folderOf('README.txt')).toBe('');
  });

  it('shows sizes in units a person reads', () => {
    expect(humanSize(0)).toBe('0 bytes');
    expect(humanSize(1)).toBe('1 byte');
    expect(humanSize(1023)).toBe('1023 bytes');
    expect(humanSize(1536)).toBe('1.5 KiB');
    expect(humanSize(200 * 1024 * 1024)).toBe('200 MiB');
  });

  it('explains a refusal by its status, and leaves others to the API', () => {
    expect(fileProblemTitle(problem(422), 'file')).toBe("Switchboard cannot read this file's columns");
    expect(fileProblemTitle(problem(404), 'folder')).toMatch(/no such folder/);
    expect(fileProblemTitle(problem(502), 'file')).toMatch(/file store failed/);
    expect(fileProblemTitle(problem(400), 'file')).toBeUndefined();
  });

  it('changes search parameters: a value sets, an empty value removes, the rest stays', () => {
    const next = withChanges(new URLSearchParams('prefix=data%2F&file=data%2Fa.csv&cursor=x'), { file: '', cursor: '', prefix: 'b/' });
    expect(next.toString()).toBe('prefix=b%2F');
  });
});
