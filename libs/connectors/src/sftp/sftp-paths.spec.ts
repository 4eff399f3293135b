import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { decodeCursor, encodeCursor } from './sftp-files';
import { isWithin, normalRoot, splitPrefix, underRoot } from './sftp-paths';

const codeOf = (action: () => unknown): string => {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error.code;
  }
  assert.fail('expected an AppError');
};

describe('SFTP path confinement (lexical step)', () => {
  it('normalises the configured root', () => {
    assert.equal(normalRoot('/srv/data/'), '/srv/data');
    assert.equal(normalRoot('/srv//data/./x/..'), '/srv/data');
    assert.equal(normalRoot('/'), '/');
    assert.equal(normalRoot('//'), '/');
  });

  it('tells a directory below the root from a sibling that merely shares its prefix', () => {
    assert.equal(isWithin('/x/data', '/x/data'), true);
    assert.equal(isWithin('/x/data', '/x/data/a/b'), true);
    assert.equal(isWithin('/x/data', '/x/data2'), false);
    assert.equal(isWithin('/x/data', '/x/data2/secret.txt'), false);
    assert.equal(isWithin('/x/data', '/x'), false);
    assert.equal(isWithin('/', '/etc/passwd'), true);
  });

  it('joins relative paths, resolving . and .. that stay inside', () => {
    assert.deepEqual(underRoot('/x/data', '', 'path'), { absolute: '/x/data', relative: '' });
    assert.deepEqual(underRoot('/x/data', 'a/b.csv', 'path'), { absolute: '/x/data/a/b.csv', relative: 'a/b.csv' });
    assert.deepEqual(underRoot('/x/data', 'a/./c/../b.csv', 'path'), { absolute: '/x/data/a/b.csv', relative: 'a/b.csv' });
    assert.deepEqual(underRoot('/x/data', 'a//b/', 'path'), { absolute: '/x/data/a/b', relative: 'a/b' });
    assert.deepEqual(underRoot('/x/data', 'a/..', 'path'), { absolute: '/x/data', relative: '' });
    assert.deepEqual(underRoot('/', 'etc/hosts', 'path'), { absolute: '/etc/hosts', relative: 'etc/hosts' });
  });

  it('refuses absolute paths and every way of climbing out, with the 422', () => {
    for (const escape of [
      '..',
      '../',
      '../..',
      '../../etc/passwd',
      '../data2',
      '../data2/secret.txt',
      'a/../../data2',
      '/etc',
      '/x/data/a',
    ]) {
      assert.equal(
        codeOf(() => underRoot('/x/data', escape, 'path')),
        ErrorCode.UNPROCESSABLE,
        escape,
      );
    }
    assert.throws(() => underRoot('/x/data', '..', 'path'), { message: "The path is outside the connection's rootPath." });
  });

  it('keeps percent-encoded and backslashed names literal (they are file names, not escapes)', () => {
    assert.deepEqual(underRoot('/x/data', '%2e%2e/%2e%2e/etc', 'path'), {
      absolute: '/x/data/%2e%2e/%2e%2e/etc',
      relative: '%2e%2e/%2e%2e/etc',
    });
    assert.deepEqual(underRoot('/x/data', '..%2f..%2fetc', 'path'), { absolute: '/x/data/..%2f..%2fetc', relative: '..%2f..%2fetc' });
    assert.deepEqual(underRoot('/x/data', '..\\..\\etc', 'path'), { absolute: '/x/data/..\\..\\etc', relative: '..\\..\\etc' });
  });

  it('answers 400 for a NUL character or an overlong path', () => {
    assert.equal(
      codeOf(() => underRoot('/x/data', 'a\0/../../etc', 'path')),
      ErrorCode.VALIDATION_FAILED,
    );
    assert.equal(
      codeOf(() => underRoot('/x/data', 'a'.repeat(5000), 'prefix')),
      ErrorCode.VALIDATION_FAILED,
    );
  });

  it('splits a listing prefix into a directory and the start of names', () => {
    assert.deepEqual(splitPrefix(''), { directory: '', partial: '' });
    assert.deepEqual(splitPrefix('da'), { directory: '', partial: 'da' });
    assert.deepEqual(splitPrefix('data/'), { directory: 'data', partial: '' });
    assert.deepEqual(splitPrefix('data/cu'), { directory: 'data', partial: 'cu' });
    assert.deepEqual(splitPrefix('a/b/c'), { directory: 'a/b', partial: 'c' });
    assert.deepEqual(splitPrefix('..'), { directory: '..', partial: '' });
    assert.deepEqual(splitPrefix('data/.'), { directory: 'data/.', partial: '' });
  });

  it('round-trips listing cursors and refuses forged ones with a 400', () => {
    assert.equal(decodeCursor(encodeCursor('f099.txt')), 'f099.txt');
    assert.equal(decodeCursor(undefined), undefined);
    assert.equal(
      codeOf(() => decodeCursor('not a cursor')),
      ErrorCode.VALIDATION_FAILED,
    );
    assert.equal(
      codeOf(() => decodeCursor(Buffer.from('{"after":1}').toString('base64url'))),
      ErrorCode.VALIDATION_FAILED,
    );
  });
});
