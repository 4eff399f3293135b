import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDatabricksWorkspace, type DatabricksWorkspace } from '../support/databricks-workspace';
import { readmeBlocks, runReadmeBlocks, signedInPrelude } from '../support/readme-blocks';
import { ServiceProcess, startServiceProcess } from '../support/service-process';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/test-app';

/**
 * Runs README.md's "Databricks" examples as a reader would, against the built service and the
 * test Databricks workspace. The blocks run as written: the Databricks CLI's variables they read
 * are the workspace's, and the only text filled in is the CA file's path (the test workspace's
 * certificate is self-signed). Its warehouse has the README's example id.
 */
describe("the README's Databricks examples, run as written", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-readme-databricks-'));
  let workspace: DatabricksWorkspace;
  let service: ServiceProcess;

  before(async () => {
    workspace = await startDatabricksWorkspace({ warehouses: [{ id: '1234567890abcdef', name: 'Starter Warehouse', state: 'RUNNING' }] });
    service = await startServiceProcess(path.join(dataDir, 'data'), { SWITCHBOARD_SAMPLE: 'false' });
  });
  after(async () => {
    await service?.stop();
    await workspace?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates PAT and OAuth M2M connections, tests them, lists, discovers, previews, and queries with readOnlyByGrants', async () => {
    const caFile = path.join(dataDir, 'workspace-ca.pem');
    fs.writeFileSync(caFile, workspace.ca);
    const blocks = readmeBlocks('## Lakehouse catalogs', '### Databricks').map((block) => ({
      ...block,
      code: block.code.replace(/corp-proxy-ca\.pem/g, caFile),
    }));
    assert.ok(blocks.length >= 3, `only ${blocks.length} sh blocks in the Databricks section`);
    const prelude = signedInPrelude(service.baseUrl, ADMIN_EMAIL, ADMIN_PASSWORD);
    await runReadmeBlocks(blocks, {
      cwd: dataDir,
      prelude,
      env: {
        DATABRICKS_HOST: workspace.url,
        DATABRICKS_TOKEN: workspace.pat,
        DATABRICKS_CLIENT_ID: workspace.clientId,
        DATABRICKS_CLIENT_SECRET: workspace.clientSecret,
      },
    });

    // The examples reached the workspace both ways, and ran the preview and the query they show.
    assert.equal(workspace.oauthTokensIssued(), 1);
    assert.ok(workspace.requests.some((request) => request.auth === 'pat'));
    assert.deepEqual(
      workspace.submittedStatements.map((statement) => statement.statement),
      ['SELECT * FROM `main`.`default`.`orders` LIMIT 3', 'SELECT id, amount FROM orders'],
    );
  });
});
