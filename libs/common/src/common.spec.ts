import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentMetadata, BadRequestException, NotFoundException } from '@nestjs/common';
import { AppError, notFound } from './errors/app-error';
import { ErrorCode } from './errors/error-code';
import { toProblem } from './errors/problem';
import { isSlug } from './ids/slug';
import { isUuid, uuidv7 } from './ids/uuid';
import { HIDDEN_PARAMETER } from './logging/loggable-error';
import { REDACTED, scrub } from './logging/logger';
import { inputFlawAt, MAX_INPUT_DEPTH } from './http/request-hooks';
import { parseIfMatch } from './http/versioning';
import { FixedWindowLimiter } from './rate-limit/fixed-window-limiter';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsOptionalNotNull } from './validation/optional';
import { createValidationPipe, flattenValidationErrors } from './validation/validation';

describe('uuidv7', () => {
  it('is a valid v7 UUID that sorts by time', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    assert.ok(isUuid(a));
    assert.equal(a[14], '7');
    assert.ok('89ab'.includes(a[19]));
    assert.ok(a < b);
  });

  it('stays in order within one millisecond and when the clock steps back', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_800_000_000_000));
    ids.push(uuidv7(1_799_999_999_000));
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]}`);
    assert.ok(ids.every(isUuid));
  });

  it('never repeats across many batches of pooled entropy', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => uuidv7()));
    assert.equal(ids.size, 20_000);
  });
});

describe('validation pipe on empty queries', () => {
  class OptionalQuery {
    @IsOptional() @IsIn(['true', 'false']) reveal?: string;
  }
  class RequiredQuery {
    @IsString() schema!: string;
  }
  const pipe = createValidationPipe();
  const query = (metatype: new () => unknown) => ({ type: 'query' as const, metatype });
  const transform = (value: unknown, metadata: ArgumentMetadata) => Promise.resolve(pipe.transform(value, metadata));

  it('answers a fresh DTO instance, every time, for a DTO an empty query satisfies', async () => {
    const first = await pipe.transform({}, query(OptionalQuery));
    const second = await pipe.transform(Object.create(null), query(OptionalQuery));
    assert.ok(first instanceof OptionalQuery && second instanceof OptionalQuery);
    assert.notEqual(first, second);
    await assert.rejects(transform({ reveal: 'yes' }, query(OptionalQuery)), AppError);
  });

  it('keeps refusing an empty query where a field is required', async () => {
    for (let i = 0; i < 3; i++) await assert.rejects(transform({}, query(RequiredQuery)), AppError);
  });

  it('hands over decorator values and string path parameters as they are, and still converts and validates the rest', async () => {
    const actor = { userId: 'u1' };
    assert.equal(pipe.transform(actor, { type: 'custom', metatype: Object }), actor);
    assert.equal(pipe.transform('warehouse', { type: 'param', metatype: String, data: 'connection' }), 'warehouse');
    assert.equal(await transform('42', { type: 'param', metatype: Number, data: 'page' }), 42);
    await assert.rejects(transform({ schema: 1 }, { type: 'body', metatype: RequiredQuery }), AppError);
  });

  it('reports the failed rule written first, one per field: a non-number is not a number, not too large', async () => {
    class Limits {
      @IsOptionalNotNull() @IsInt() @Min(1) @Max(1000) limit?: number;
      @IsOptional() @IsString() @MaxLength(5) database?: string;
    }
    const fieldErrors = async (body: unknown) => {
      const error = await transform(body, { type: 'body', metatype: Limits }).then(
        () => assert.fail('expected a validation error'),
        (caught: AppError) => caught,
      );
      return error.options.errors;
    };
    assert.deepEqual(await fieldErrors({ limit: 'abc', database: 7 }), [
      { field: 'limit', message: 'limit must be an integer number' },
      { field: 'database', message: 'database must be a string' },
    ]);
    assert.deepEqual(await fieldErrors({ limit: null }), [{ field: 'limit', message: 'limit must be an integer number' }]);
    assert.deepEqual(await fieldErrors({ limit: 5000 }), [{ field: 'limit', message: 'limit must not be greater than 1000' }]);
  });
});

describe('inputFlawAt', () => {
  const nested = (levels: number): unknown => {
    let value: unknown = 'leaf';
    for (let level = 0; level < levels; level++) value = level % 2 ? [value] : { a: value };
    return value;
  };

  it('allows objects and arrays nested MAX_INPUT_DEPTH levels deep, and refuses one level more', () => {
    assert.equal(MAX_INPUT_DEPTH, 32);
    assert.equal(inputFlawAt(nested(32)), undefined);
    const flaw = inputFlawAt(nested(33));
    assert.equal(flaw?.kind, 'depth');
    // The path to the 33rd container: 32 keys and indexes.
    assert.equal(flaw?.field.split(/[.[]/).length, 32);
    // A bracket bomb stops at the limit rather than walking (or overflowing) the whole depth.
    assert.equal(inputFlawAt(nested(100_000))?.kind, 'depth');
  });

  it('finds U+0000 in values and keys, with the path', () => {
    assert.deepEqual(inputFlawAt({ a: [{ b: 'x\u0000' }] }), { kind: 'nul', field: 'a[0].b' });
    assert.deepEqual(inputFlawAt({ ['k\u0000']: 1 }), { kind: 'nul', field: 'k\u0000' });
    assert.deepEqual(inputFlawAt('\u0000'), { kind: 'nul', field: '(body)' });
    assert.equal(inputFlawAt({ a: null, b: 1, c: [true, 'fine'] }), undefined);
  });

  it('finds lone surrogates in values and keys; paired ones (astral characters) are text', () => {
    assert.deepEqual(inputFlawAt({ a: ['x\ud800y'] }), { kind: 'surrogate', field: 'a[0]' });
    assert.deepEqual(inputFlawAt({ b: 'tail\udc00' }), { kind: 'surrogate', field: 'b' });
    assert.deepEqual(inputFlawAt({ ['k\udbff']: 1 }), { kind: 'surrogate', field: 'k\udbff' });
    assert.equal(inputFlawAt({ emoji: '😀 \ud83d\ude00', rtl: '\u202e' }), undefined);
  });
});

describe('slugs', () => {
  it('accepts lowercase words and rejects the rest', () => {
    for (const slug of ['default', 'team-a', 'a1']) assert.ok(isSlug(slug), slug);
    for (const slug of ['A', 'Default', '1abc', 'a--b', 'a-', 'a b', 'a'.repeat(64), 'abcdef01-2345-7890-abcd-ef0123456789']) {
      assert.ok(!isSlug(slug), slug);
    }
  });
});

describe('toProblem', () => {
  it('maps app errors with their code, fields and headers', () => {
    const error = new AppError(ErrorCode.VALIDATION_FAILED, 'Bad.', { errors: [{ field: 'a', message: 'm' }], headers: { x: 'y' } });
    const problem = toProblem(error, 'req-1');
    assert.deepEqual(problem.body, {
      type: 'urn:switchboard:problem:validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: 'Bad.',
      code: 'VALIDATION_FAILED',
      requestId: 'req-1',
      errors: [{ field: 'a', message: 'm' }],
    });
    assert.deepEqual(problem.headers, { x: 'y' });
    assert.equal(toProblem(notFound('Project'), 'r').body.status, 404);
  });

  it('hides internal messages and maps framework errors by status', () => {
    const internal = toProblem(new Error('password=hunter2 at db'), 'r');
    assert.equal(internal.body.status, 500);
    assert.ok(internal.internal);
    assert.ok(!JSON.stringify(internal.body).includes('hunter2'));
    assert.equal(toProblem(new NotFoundException('Cannot GET /x'), 'r').body.detail, 'No such route.');
    assert.equal(toProblem(new BadRequestException('Unexpected token } in JSON at position 3'), 'r').body.code, 'MALFORMED_REQUEST');
    assert.equal(toProblem(Object.assign(new Error('too big'), { statusCode: 413 }), 'r').body.code, 'PAYLOAD_TOO_LARGE');
  });
});

describe('flattenValidationErrors', () => {
  it('names nested fields with dots and indexes', () => {
    const errors = flattenValidationErrors([
      {
        property: 'config',
        children: [{ property: 'hosts', children: [{ property: '0', constraints: { isString: 'must be a string' } }] }],
      },
      { property: 'name', constraints: { isNotEmpty: 'name should not be empty' } },
    ]);
    assert.deepEqual(errors, [
      { field: 'config.hosts[0]', message: 'must be a string' },
      { field: 'name', message: 'name should not be empty' },
    ]);
  });
});

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

describe('FixedWindowLimiter', () => {
  it('allows up to the limit per window, then says when to retry', () => {
    let now = 0;
    const limiter = new FixedWindowLimiter(2, 10_000, 100, () => now);
    assert.ok(limiter.hit('k').allowed);
    assert.ok(limiter.hit('k').allowed);
    const third = limiter.hit('k');
    assert.ok(!third.allowed);
    assert.equal(third.retryAfterSeconds, 10);
    assert.ok(limiter.hit('other').allowed);
    now = 10_000;
    assert.ok(limiter.hit('k').allowed);
  });

  it('takes a hit back within its window', () => {
    let now = 0;
    const limiter = new FixedWindowLimiter(1, 10_000, 100, () => now);
    assert.ok(limiter.hit('k').allowed);
    limiter.refund('k');
    assert.ok(limiter.hit('k').allowed);
    assert.deepEqual(limiter.hit('k'), { allowed: false, retryAfterSeconds: 10 });
    now = 10_000;
    limiter.refund('k'); // an expired window is left alone
    assert.ok(limiter.hit('k').allowed);
    assert.ok(!limiter.hit('k').allowed);
  });

  it('stays bounded under many distinct keys', () => {
    const limiter = new FixedWindowLimiter(1, 60_000, 10, () => 0);
    for (let i = 0; i < 1000; i++) limiter.hit(`k${i}`);
    assert.ok((limiter as unknown as { windows: Map<string, unknown> }).windows.size <= 10);
  });
});

describe('parseIfMatch', () => {
  it('reads strong tags and lists of them, ignores * and absence, refuses what cannot match', () => {
    assert.deepEqual(parseIfMatch('"3"'), [3]);
    assert.deepEqual(parseIfMatch('"2", "3"'), [2, 3]);
    assert.deepEqual(parseIfMatch('W/"2", "3"'), [3]);
    assert.equal(parseIfMatch(undefined), undefined);
    assert.equal(parseIfMatch('*'), undefined);
    for (const bad of ['3', '"x"', 'W/"12"', '"1" "2"', '']) assert.throws(() => parseIfMatch(bad), /If-Match/);
  });
});
