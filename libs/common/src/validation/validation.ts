import { ArgumentMetadata, Body, PipeTransform, Query, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { FieldError, validationFailed } from '../errors/app-error';

/**
 * Flattens class-validator's tree into `{field: "a.b[0].c", message}` pairs, one per field: the
 * failed rule written first. class-validator checks a property's rules bottom-up, so with
 * stopAtFirstError "abc" for `@IsInt() @Min(1) @Max(10)` was reported as too large.
 */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? (/^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`) : error.property;
    const message = Object.values(error.constraints ?? {}).at(-1);
    const own = message === undefined ? [] : [{ field, message }];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * ValidationPipe, with a shortcut for most reads: they come without a query string (GET one
 * connection: `?reveal` absent). Once the full pipeline has shown that an empty query turns into
 * exactly a fresh instance of its DTO, later empty queries get that fresh instance without
 * class-transformer and class-validator.
 */
class QueryAwareValidationPipe implements PipeTransform {
  private readonly emptyIsFresh = new Map<Type<unknown>, boolean>();

  constructor(private readonly pipe: ValidationPipe) {}

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype as Type<unknown> | undefined;
    const empty = metadata.type === 'query' && metatype !== undefined && isEmptyObject(value);
    if (!empty) return this.pipe.transform(value, metadata);
    const known = this.emptyIsFresh.get(metatype);
    if (known) return new metatype();
    const result: unknown = await this.pipe.transform(value, metadata);
    if (known === undefined) this.emptyIsFresh.set(metatype, result instanceof metatype && isDeepStrictEqual(result, new metatype()));
    return result;
  }
}

function isEmptyObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

/** Unknown properties are rejected, not dropped: a typo must not silently lose a setting. */
export function createValidationPipe(): PipeTransform {
  return new QueryAwareValidationPipe(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
    }),
  );
}

/** The validation pipe every request body and query DTO goes through (see ValidBody, ValidQuery). */
export const VALIDATION_PIPE = createValidationPipe();

/**
 * `@Body()` and `@Query()` checked by VALIDATION_PIPE. It is not a global pipe: Nest would then
 * send every parameter (path strings, the actor, the project) through its own chain of promises,
 * about 5% of a GET's time at 10,000 requests a second. The http contract tests fail for a route
 * that reads a body or query without these.
 */
export const ValidBody = (): ParameterDecorator => Body(VALIDATION_PIPE);
export const ValidQuery = (): ParameterDecorator => Query(VALIDATION_PIPE);
