import { ValidateIf } from 'class-validator';

/**
 * Optional, but never null: unlike @IsOptional(), a `null` is validated (and refused by the
 * type check that follows) instead of skipped, so it cannot reach a NOT NULL column.
 */
export const IsOptionalNotNull = (): PropertyDecorator => ValidateIf((_: object, value: unknown) => value !== undefined);
