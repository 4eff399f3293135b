/**
 * What the test Iceberg REST catalog holds, and the table metadata it answers, in the shapes of
 * the Apache Iceberg REST catalog OpenAPI spec (apache/iceberg open-api/rest-catalog-open-api.yaml:
 * Namespace, TableIdentifier, Schema / StructField / ListType / MapType, TableMetadata,
 * LoadTableResult, ViewMetadata / ViewVersion / SQLViewRepresentation, LoadViewResult), the table
 * spec's format version 2 and the view spec's format version 1.
 */
import { createHash } from 'node:crypto';

export type IcebergType = string | IcebergStructType | IcebergListType | IcebergMapType;

export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface IcebergStructType {
  type: 'struct';
  fields: IcebergField[];
}

export interface IcebergListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface IcebergMapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export interface IcebergSchema {
  'schema-id': number;
  fields: IcebergField[];
  'identifier-field-ids'?: number[];
}

export interface IcebergTable {
  name: string;
  /** Every schema the table had; the current one is `currentSchemaId`, not necessarily the last. */
  schemas: IcebergSchema[];
  currentSchemaId: number;
  properties?: Record<string, string>;
}

/** One version of a view: its SQL and the schema that SQL produces. */
export interface IcebergViewVersion {
  versionId: number;
  schemaId: number;
  sql: string;
}

export interface IcebergView {
  name: string;
  /** Every schema the view's versions had. */
  schemas: IcebergSchema[];
  versions: IcebergViewVersion[];
  /** The version in use (not necessarily the last: a view can be rolled back). */
  currentVersionId: number;
}

export interface IcebergNamespace {
  /** The levels, e.g. ['accounting', 'tax']; every parent level is a namespace of its own. */
  name: string[];
  properties?: Record<string, string>;
  tables: IcebergTable[];
  views?: IcebergView[];
}

export interface IcebergWarehouse {
  name: string;
  /** The `prefix` /v1/config gives for this warehouse; '' serves it under /v1/namespaces. */
  prefix: string;
  namespaces: IcebergNamespace[];
}

const field = (id: number, name: string, type: IcebergType, required = false, doc?: string): IcebergField => ({
  id,
  name,
  required,
  type,
  doc,
});

/** accounting.tax.returns: two schemas (the current one second), with struct, list and map columns. */
const RETURNS: IcebergTable = {
  name: 'returns',
  currentSchemaId: 1,
  properties: { 'write.format.default': 'parquet' },
  schemas: [
    { 'schema-id': 0, fields: [field(1, 'id', 'long', true), field(2, 'amount', 'double')] },
    {
      'schema-id': 1,
      'identifier-field-ids': [1],
      fields: [
        field(1, 'id', 'long', true, 'Return id'),
        field(3, 'year', 'int', true),
        field(4, 'amount', 'decimal(10,2)'),
        field(5, 'filed_at', 'timestamptz'),
        field(6, 'address', { type: 'struct', fields: [field(7, 'street', 'string'), field(8, 'zip', 'string', true)] }),
        field(9, 'lines', {
          type: 'list',
          'element-id': 10,
          'element-required': true,
          element: { type: 'struct', fields: [field(11, 'sku', 'string', true), field(12, 'qty', 'int')] },
        }),
        field(13, 'attributes', { type: 'map', 'key-id': 14, key: 'string', 'value-id': 15, value: 'string', 'value-required': false }),
      ],
    },
  ],
};

const simpleTable = (name: string, ...fields: IcebergField[]): IcebergTable => ({
  name,
  currentSchemaId: 0,
  schemas: [{ 'schema-id': 0, fields }],
});

/**
 * accounting.tax.returns_by_year: rolled back from version 2 to version 1, so its current schema
 * is neither the last schema nor the one whose id equals the current version's.
 */
const RETURNS_BY_YEAR: IcebergView = {
  name: 'returns_by_year',
  currentVersionId: 1,
  schemas: [
    { 'schema-id': 0, fields: [field(1, 'year', 'int', true), field(2, 'total', 'decimal(20,2)')] },
    { 'schema-id': 1, fields: [field(1, 'year', 'int', true), field(2, 'total', 'decimal(20,2)'), field(3, 'returns', 'long')] },
  ],
  versions: [
    { versionId: 1, schemaId: 0, sql: 'SELECT year, sum(amount) AS total FROM returns GROUP BY year' },
    { versionId: 2, schemaId: 1, sql: 'SELECT year, sum(amount) AS total, count(*) AS returns FROM returns GROUP BY year' },
  ],
};

/** marketing.active_customers: a view in a namespace without tables. */
const ACTIVE_CUSTOMERS: IcebergView = {
  name: 'active_customers',
  currentVersionId: 1,
  schemas: [{ 'schema-id': 0, fields: [field(1, 'id', 'int', true), field(2, 'name', 'string'), field(3, 'last_order', 'date')] }],
  versions: [
    {
      versionId: 1,
      schemaId: 0,
      sql: 'SELECT c.id, c.name, max(o.placed_on) AS last_order FROM sales.customers c JOIN sales.orders o ON o.customer_id = c.id GROUP BY c.id, c.name',
    },
  ],
};

/**
 * Warehouse `analytics` (five top-level namespaces, nested accounting.tax.paid; views in
 * accounting.tax and marketing) and an empty `lab`.
 */
export const DEFAULT_WAREHOUSES: IcebergWarehouse[] = [
  {
    name: 'analytics',
    prefix: 'analytics-prefix',
    namespaces: [
      { name: ['accounting'], properties: { owner: 'finance' }, tables: [] },
      { name: ['accounting', 'tax'], tables: [RETURNS], views: [RETURNS_BY_YEAR] },
      { name: ['accounting', 'tax', 'paid'], tables: [simpleTable('receipts', field(1, 'id', 'long', true))] },
      { name: ['empty'], tables: [] },
      { name: ['marketing'], tables: [], views: [ACTIVE_CUSTOMERS] },
      {
        name: ['sales'],
        properties: { owner: 'sales-team', location: 's3://sb-warehouse/sales' },
        tables: [
          simpleTable('customers', field(1, 'id', 'int', true), field(2, 'name', 'string')),
          simpleTable('orders', field(1, 'id', 'long', true), field(2, 'customer_id', 'int'), field(3, 'placed_on', 'date')),
          simpleTable('refunds', field(1, 'id', 'long', true), field(2, 'order_id', 'long', true), field(3, 'amount', 'decimal(10,2)')),
        ],
      },
      { name: ['staging'], tables: [] },
    ],
  },
  { name: 'lab', prefix: 'lab-prefix', namespaces: [] },
];

function maxFieldId(type: IcebergType): number {
  if (typeof type === 'string') return 0;
  if (type.type === 'struct') return Math.max(0, ...type.fields.map((child) => Math.max(child.id, maxFieldId(child.type))));
  if (type.type === 'list') return Math.max(type['element-id'], maxFieldId(type.element));
  return Math.max(type['key-id'], type['value-id'], maxFieldId(type.key), maxFieldId(type.value));
}

/** A stable table uuid, so two loads of one table agree. */
function tableUuid(identity: string): string {
  const hex = createHash('sha256').update(identity).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** LoadTableResult for a table with no snapshots yet (format version 2). */
export function loadTableResult(warehouse: IcebergWarehouse, namespace: IcebergNamespace, table: IcebergTable) {
  const location = `s3://sb-warehouse/${warehouse.name}/${namespace.name.join('/')}/${table.name}`;
  const uuid = tableUuid(`${warehouse.name}/${namespace.name.join('\u001f')}/${table.name}`);
  return {
    'metadata-location': `${location}/metadata/00001-${uuid}.metadata.json`,
    metadata: {
      'format-version': 2,
      'table-uuid': uuid,
      location,
      'last-sequence-number': 0,
      'last-updated-ms': Date.UTC(2026, 0, 2, 3, 4, 5),
      'last-column-id': Math.max(...table.schemas.map((schema) => maxFieldId({ type: 'struct', fields: schema.fields }))),
      'current-schema-id': table.currentSchemaId,
      schemas: table.schemas.map((schema) => ({ type: 'struct', ...schema })),
      'default-spec-id': 0,
      'partition-specs': [{ 'spec-id': 0, fields: [] }],
      'last-partition-id': 999,
      'default-sort-order-id': 0,
      'sort-orders': [{ 'order-id': 0, fields: [] }],
      properties: table.properties ?? {},
      'current-snapshot-id': -1,
      refs: {},
      snapshots: [],
      'snapshot-log': [],
      'metadata-log': [],
    },
    config: {},
  };
}

/** LoadViewResult: view metadata format version 1, every version with one SQL representation (Spark's dialect). */
export function loadViewResult(warehouse: IcebergWarehouse, namespace: IcebergNamespace, view: IcebergView) {
  const location = `s3://sb-warehouse/${warehouse.name}/${namespace.name.join('/')}/${view.name}`;
  const uuid = tableUuid(`view:${warehouse.name}/${namespace.name.join('\u001f')}/${view.name}`);
  const timestamp = (versionId: number) => Date.UTC(2026, 0, 2, 3, 4, 5) + versionId * 60_000;
  return {
    'metadata-location': `${location}/metadata/00001-${uuid}.gz.metadata.json`,
    metadata: {
      'view-uuid': uuid,
      'format-version': 1,
      location,
      'current-version-id': view.currentVersionId,
      versions: view.versions.map((version) => ({
        'version-id': version.versionId,
        'timestamp-ms': timestamp(version.versionId),
        'schema-id': version.schemaId,
        summary: { 'engine-name': 'spark', 'engine-version': '3.5.4' },
        representations: [{ type: 'sql', sql: version.sql, dialect: 'spark' }],
        'default-namespace': namespace.name,
      })),
      'version-log': view.versions.map((version) => ({ 'version-id': version.versionId, 'timestamp-ms': timestamp(version.versionId) })),
      schemas: view.schemas.map((schema) => ({ type: 'struct', ...schema })),
      properties: { comment: `View ${view.name}` },
    },
    config: {},
  };
}
