import { AppError, conflict, preconditionFailed } from '@switchboard/common';
import type { ObjectLiteral } from 'typeorm';
import { isForeignKeyViolation, isUniqueViolation } from './database-errors';
import { jsonRow } from './json-row';
import type { ProjectRows } from './project-rows';

/**
 * Without If-Match a lost compare-and-set is planned again: each loss means another writer's
 * update landed, so N concurrent writers need at most N attempts, on one instance or many. The
 * bound only stops a row that never stops changing.
 */
export const UPDATE_ATTEMPTS = 50;

/** Another writer's update landed between this one's read and its compare-and-set (thrown to roll a transaction back). */
export class LostRace extends Error {
  constructor() {
    super('Lost a compare-and-set race to another writer');
  }
}

/** The row a compare-and-set writes: the project's row `id`, only while it is still at `version`. */
export interface VersionedRow {
  projectId: string;
  id: string;
  version: number;
}

/** The 409 (or 400) a write that breaks a constraint answers with. */
export interface ConstraintRefusals {
  /** A unique key (the row's name) is taken. */
  unique: () => AppError;
  /** A row the write refers to is gone. */
  foreignKey?: () => AppError;
}

/**
 * Compare-and-set on `version` (which moves one up): false when someone else changed or deleted
 * the row first, and nothing is written. `rows` are on a transaction's manager (`on`), or not.
 */
export async function updateIfVersion<T extends ObjectLiteral & { projectId: string | null }>(
  rows: ProjectRows<T>,
  row: VersionedRow,
  changes: Partial<T>,
  refusals: ConstraintRefusals,
): Promise<boolean> {
  try {
    const result = await rows
      .updating(row.projectId, jsonRow<T>({ ...changes, version: row.version + 1 }))
      .andWhere('id = :id AND version = :version', { id: row.id, version: row.version })
      .execute();
    return result.affected === 1;
  } catch (error) {
    if (isUniqueViolation(error)) throw refusals.unique();
    if (refusals.foreignKey && isForeignKeyViolation(error)) throw refusals.foreignKey();
    throw error;
  }
}

/**
 * Read, plan, compare-and-set, until one attempt's write lands. `attempt` writes with
 * `updateIfVersion` and throws LostRace when it returned false. With If-Match a stale read or a
 * lost race answers 412; without, the change is planned again on what won, so no other writer's
 * change is lost. `read` gets the id after the first read: a concurrent rename must not lose the row.
 */
export async function updateWithRetries<Row extends { id: string; version: number }, Result>(
  what: string,
  ref: string,
  ifMatch: readonly number[] | undefined,
  read: (ref: string) => Promise<Row>,
  attempt: (current: Row) => Promise<Result>,
): Promise<Result> {
  let target = ref;
  for (let tries = 0; tries < UPDATE_ATTEMPTS; tries++) {
    const current = await read(target);
    target = current.id;
    if (ifMatch && !ifMatch.includes(current.version)) throw preconditionFailed();
    try {
      return await attempt(current);
    } catch (error) {
      if (!(error instanceof LostRace)) throw error;
    }
    if (ifMatch) throw preconditionFailed();
  }
  throw conflict(`The ${what} kept changing while this update was applied; try again.`);
}
