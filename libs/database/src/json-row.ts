import type { ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

/**
 * For rows with free-form JSON columns (simple-json of `Record<string, unknown>`): TypeORM's
 * deep-partial type cannot follow `unknown`, though the driver stores it as JSON text fine.
 */
export const jsonRow = <T extends ObjectLiteral>(row: Partial<T>): QueryDeepPartialEntity<T> => row as QueryDeepPartialEntity<T>;
