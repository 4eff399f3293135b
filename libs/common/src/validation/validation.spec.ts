import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentMetadata } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsOptionalNotNull } from './optional';
import { createValidationPipe, flattenValidationErrors } from './validation';

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

  it('converts and validates bodies and non-empty queries through ValidationPipe', async () => {
    await assert.rejects(transform({ schema: 1 }, { type: 'body', metatype: RequiredQuery }), AppError);
    await assert.rejects(transform({ schema: 'a', extra: 1 }, query(RequiredQuery)), AppError);
    const body = await transform({ schema: 'public' }, { type: 'body', metatype: RequiredQuery });
    assert.ok(body instanceof RequiredQuery && body.schema === 'public');
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
