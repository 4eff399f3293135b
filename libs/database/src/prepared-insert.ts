import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { placeholder, preparedQuery } from './prepared-query';

/**
 * INSERT of one whole row as plain SQL (a prepared statement on PostgreSQL), each value
 * converted by the ORM's own rules (the column's transformer, then the driver's), so it stores
 * exactly what `manager.insert` would. The writes on hot paths (every create, every audit
 * event) then skip the query builder. Every column is written: a property left undefined is
 * stored as NULL, never as the column's default.
 */
export class PreparedInsert<T extends ObjectLiteral> {
  private plan?: { text: string; columns: ColumnMetadata[] };

  constructor(
    private readonly dataSource: DataSource,
    private readonly entity: EntityTarget<T>,
  ) {}

  /** Inside a transaction when `manager` is the transaction's. */
  async run(row: T, manager?: EntityManager): Promise<void> {
    const { text, columns } = (this.plan ??= this.build());
    const driver = this.dataSource.driver;
    const values = columns.map((column) => driver.preparePersistentValue(column.getEntityValue(row, true), column) ?? null);
    await preparedQuery(manager ?? this.dataSource, text, values);
  }

  private build(): { text: string; columns: ColumnMetadata[] } {
    const metadata = this.dataSource.getMetadata(this.entity);
    const driver = this.dataSource.driver;
    const columns = metadata.columns.filter((column) => column.isInsert && !column.isVirtual);
    const placeholders = columns.map((_, index) => placeholder(this.dataSource, index + 1));
    const names = columns.map((column) => driver.escape(column.databaseName));
    return { text: `INSERT INTO ${driver.escape(metadata.tableName)} (${names.join(', ')}) VALUES (${placeholders.join(', ')})`, columns };
  }
}
