import { Column, ColumnOptions, PrimaryColumn, ValueTransformer } from 'typeorm';

/**
 * One timestamp type for both drivers: `timestamptz` on PostgreSQL, ISO-8601 UTC text on
 * SQLite (which sorts and compares correctly as text). SQLite accepts the type name once
 * `allowTimestamptz` has taught the driver about it.
 */
export const TIMESTAMP = 'timestamptz';

/** Read and written by TimestampColumn (rowHydrator knows it by identity). */
export const isoTimestamp: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.toISOString() : value),
  from: (value: string | Date | null) => (value === null || value === undefined ? null : new Date(value)),
};

export const TimestampColumn = (name: string, options: Pick<ColumnOptions, 'nullable'> = {}): PropertyDecorator =>
  Column({ name, type: TIMESTAMP, transformer: isoTimestamp, nullable: options.nullable ?? false });

/** Application-generated UUID v7 primary key. */
export const IdColumn = (constraintName: string): PropertyDecorator =>
  PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: constraintName });

export const UuidColumn = (name: string, options: Pick<ColumnOptions, 'nullable'> = {}): PropertyDecorator =>
  Column({ name, type: 'uuid', nullable: options.nullable ?? false });
