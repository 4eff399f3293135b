/**
 * The bounds on what an Iceberg REST catalog's listings may cost (iceberg.connector.ts): pages per
 * list, page token length, children that do not extend their parent, nesting depth. Each is proved
 * against the test catalog (test/support/iceberg-rest-catalog.ts) misbehaving on purpose; without
 * the bound, each listing below runs to its deadline, or answers what the catalog smuggled in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { startIcebergRestCatalog, type IcebergRestCatalog } from '../../../../test/support/iceberg-rest-catalog';
import type { ResolvedConnection } from '../connector';
import { EgressGuard } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import type { IntrospectionContext } from '../introspection/types';
import { IcebergConnector, MAX_PAGE_TOKEN_CHARS, MAX_PAGES } from './iceberg.connector';

const guard = new EgressGuard(EgressPolicy.parse({}));
const ALL_NAMESPACES = ['accounting', 'accounting.tax', 'accounting.tax.paid', 'empty', 'marketing', 'sales', 'staging'];

/** Generous: a bound must end a listing long before its deadline does. */
function contextFor(ms = 120_000): IntrospectionContext {
  const deadline = Date.now() + ms;
  return {
    signal: AbortSignal.timeout(ms),
    remainingMs: () => Math.max(0, deadline - Date.now()),
    egress: guard,
    session: () => Promise.reject(new Error('the iceberg type keeps no sessions')),
  };
}

async function protocolError(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => assert.fail('the listing succeeded'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof AppError, String(error));
  assert.equal(error.code, ErrorCode.TARGET_UNAVAILABLE, error.detail);
  assert.equal(error.options.extensions?.targetCode, 'PROTOCOL_ERROR', error.detail);
  return error.detail;
}

describe('iceberg listings stay bounded against a catalog that misbehaves', () => {
  const connector = new IcebergConnector();
  let catalog: IcebergRestCatalog;
  let connection: ResolvedConnection;
  const schemas = () => connector.listSchemas(connection, contextFor()).then((found) => found.map((schema) => schema.name));

  before(async () => {
    catalog = await startIcebergRestCatalog({ tls: false });
    connection = { type: 'iceberg', config: { uri: catalog.url }, secrets: { token: catalog.token } };
  });
  after(() => catalog?.stop());

  it(`follows at most ${MAX_PAGES} pages of one list, empty ones included`, async () => {
    catalog.misbehave({ endlessPages: true });
    const before = catalog.requestCount('/v1/analytics-prefix/namespaces');
    try {
      const detail = await protocolError(connector.listSchemas(connection, contextFor()));
      assert.match(detail, new RegExp(`more than ${MAX_PAGES} pages`));
    } finally {
      catalog.misbehave({ endlessPages: false });
    }
    assert.equal(catalog.requestCount('/v1/analytics-prefix/namespaces') - before, MAX_PAGES);
    assert.deepEqual(await schemas(), ALL_NAMESPACES);
  });

  it(`takes page tokens of up to ${MAX_PAGE_TOKEN_CHARS} characters, and refuses a longer one`, async () => {
    try {
      catalog.misbehave({ pageTokenPadding: MAX_PAGE_TOKEN_CHARS - 100 });
      assert.deepEqual(await schemas(), ALL_NAMESPACES);
      catalog.misbehave({ pageTokenPadding: MAX_PAGE_TOKEN_CHARS + 1 });
      const detail = await protocolError(connector.listSchemas(connection, contextFor()));
      assert.match(detail, new RegExp(`page token over ${MAX_PAGE_TOKEN_CHARS} characters`));
    } finally {
      catalog.misbehave({ pageTokenPadding: 0 });
    }
  });

  it('lists no child that does not extend its parent, nor walks under it', async () => {
    catalog.misbehave({
      foreignChildren: { accounting: [['sales', 'smuggled'], ['elsewhere']], 'accounting.tax': [['accounting', 'tax']] },
    });
    try {
      assert.deepEqual(await schemas(), ALL_NAMESPACES);
      assert.ok(!catalog.requests.some((request) => request.query.parent?.includes('smuggled')), 'walked under a smuggled child');
    } finally {
      catalog.misbehave({ foreignChildren: {} });
    }
  });

  it('walks namespaces 16 levels deep at most', async () => {
    catalog.misbehave({ endlessNesting: true });
    try {
      const names = await schemas();
      const loops = names.filter((name) => name.startsWith('loop'));
      assert.deepEqual(
        loops,
        Array.from({ length: 16 }, (_, index) => Array.from({ length: index + 1 }, () => 'loop').join('.')),
      );
      assert.deepEqual(
        names.filter((name) => !name.startsWith('loop')),
        ALL_NAMESPACES,
      );
    } finally {
      catalog.misbehave({ endlessNesting: false });
    }
  });
});
