import { ArgumentMetadata, PipeTransform, Type, ValidationError, ValidationPipe } from '@nestjs/common';
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
 * ValidationPipe, with two shortcuts for what every request passes through it:
 * - Our own decorators' values (validateCustomDecorators is off) and string path parameters
 *   come back unchanged from ValidationPipe too; here without a promise each.
 * - Most reads come without a query string (GET one connection: `?reveal` absent). Once the
 *   full pipeline has shown that an empty query turns into exactly a fresh instance of its DTO,
 *   later empty queries get that fresh instance without class-transformer and class-validator.
 */
class QueryAwareValidationPipe implements PipeTransform {
  private readonly emptyIsFresh = new Map<Type<unknown>, boolean>();

  constructor(private readonly pipe: ValidationPipe) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom' || (metadata.type === 'param' && metadata.metatype === String && typeof value === 'string')) {
      return value;
    }
    return this.validate(value, metadata);
  }

  private async validate(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
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
