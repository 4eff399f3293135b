import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HIDDEN_PARAMETER } from './loggable-error';
import { REDACTED, scrub } from './logger';

describe('scrub', () => {
  it('redacts sensitive keys at any depth and keeps the rest', () => {
    const scrubbed = scrub({
      user: 'u',
      password: 'p',
      nested: { headers: { authorization: 'Bearer x', 'x-api-key': 'k' }, list: [{ refreshToken: 't' }] },
    });
    assert.deepEqual(scrubbed, {
      user: 'u',
      password: REDACTED,
      nested: { headers: { authorization: REDACTED, 'x-api-key': REDACTED }, list: [{ refreshToken: REDACTED }] },
    });
  });
});

describe('scrub: errors', () => {
  it("keeps an error's type, message, codes, statement and causes, at any depth, and nothing that may carry a value", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', config: { password: 'p' } });
    const failed = Object.assign(new Error('invalid input syntax for type uuid: "secret-hash-value"', { cause: refused }), {
      query: 'SELECT $1::uuid',
      parameters: ['secret-hash-value', 'short'],
      code: '22P02',
      detail: 'Failing row contains (secret-hash-value).',
      where: "unnamed portal parameter $1 = '...'",
      driverError: new Error('raw'),
    });
    const scrubbed = scrub({ list: [{ err: failed }] }) as { list: { err: Record<string, any> }[] };
    const { stack, cause, ...fields } = scrubbed.list[0].err;
    assert.deepEqual(fields, {
      type: 'Error',
      message: `invalid input syntax for type uuid: "${HIDDEN_PARAMETER}"`,
      code: '22P02',
      query: 'SELECT $1::uuid',
    });
    assert.ok(stack.includes(HIDDEN_PARAMETER) && !stack.includes('secret-hash-value'));
    assert.equal(cause.code, 'ECONNREFUSED');
    assert.equal(cause.config, undefined);
  });
});
