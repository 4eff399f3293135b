/**
 * What the test Iceberg REST catalog holds, and the table metadata it answers, in the shapes of
 * the Apache Iceberg REST catalog OpenAPI spec (apache/iceberg open-api/rest-catalog-open-api.yaml:
 * Namespace, TableIdentifier, Schema / StructField / ListType / MapType, TableMetadata,
 * LoadTableResult) and the table spec's format version 2.
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

export interface IcebergNamespace {
  /** The levels, e.g. ['accounting', 'tax']; every parent level is a namespace of its own. */
  name: string[];
  properties?: Record<string, string>;
  tables: IcebergTable[];
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

/** Warehouse `analytics` (five top-level namespaces, nested accounting.tax.paid) and an empty `lab`. */
export const DEFAULT_WAREHOUSES: IcebergWarehouse[] = [
  {
    name: 'analytics',
    prefix: 'analytics-prefix',
    namespaces: [
      { name: ['accounting'], properties: { owner: 'finance' }, tables: [] },
      { name: ['accounting', 'tax'], tables: [RETURNS] },
      { name: ['accounting', 'tax', 'paid'], tables: [simpleTable('receipts', field(1, 'id', 'long', true))] },
      { name: ['empty'], tables: [] },
      { name: ['marketing'], tables: [] },
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
