import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startIcebergRestCatalog, type IcebergRestCatalog } from '../support/iceberg-rest-catalog';
import { readmeBlocks, runReadmeBlocks, signedInPrelude } from '../support/readme-blocks';
import { ServiceProcess, startServiceProcess } from '../support/service-process';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/test-app';

/**
 * Runs README.md's "Iceberg REST catalogs" examples as a reader would, against the built service
 * and the test Iceberg REST catalog over HTTPS, under the README's base path and with the token
 * and OAuth client the README shows. The blocks run as written but for what a reader fills in for
 * their own network: the example catalog host becomes the loopback catalog (with its port), and
 * its CA is written where the README reads it (./catalog-ca.pem, in the directory the blocks run in).
 */
describe("the README's Iceberg REST catalog examples, run as written", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-readme-iceberg-'));
  let catalog: IcebergRestCatalog;
  let service: ServiceProcess;

  before(async () => {
    catalog = await startIcebergRestCatalog({
      basePath: '/api/catalog',
      credentials: { token: 'catalog-token', clientId: 'switchboard', clientSecret: 'client-secret' },
    });
    service = await startServiceProcess(path.join(dataDir, 'data'), { SWITCHBOARD_SAMPLE: 'false' });
  });
  after(async () => {
    await service?.stop();
    await catalog?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates catalogs with a token and with OAuth client credentials, tests, discovers and lists them, and is refused a preview', async () => {
    fs.writeFileSync(path.join(dataDir, 'catalog-ca.pem'), catalog.ca!);
    const fill = (code: string) => code.replace(/https:\/\/catalog\.example\.com\//g, `https://127.0.0.1:${catalog.port}/`);
    const blocks = readmeBlocks('## Lakehouse catalogs', '### Iceberg REST catalogs').map((block) => ({
      ...block,
      code: fill(block.code),
    }));
    assert.ok(blocks.length >= 3, `only ${blocks.length} sh blocks in the Iceberg section`);
    const prelude = signedInPrelude(service.baseUrl, ADMIN_EMAIL, ADMIN_PASSWORD);
    await runReadmeBlocks(blocks, { cwd: dataDir, prelude });

    // What the examples made signs in as the README says: the token as it is, the client for OAuth tokens.
    assert.ok(catalog.requests.some((request) => request.auth === 'token'));
    assert.ok(catalog.requests.some((request) => request.auth === 'oauth'));
    assert.equal(catalog.oauthTokensIssued(), 1);
    assert.ok(
      !catalog.requests.some((request) => request.auth === 'rejected' || (request.auth === 'none' && request.path !== '/v1/oauth/tokens')),
    );
    assert.ok(catalog.requests.some((request) => request.path === '/v1/analytics-prefix/namespaces/accounting%1Ftax/tables/returns'));
  });
});
