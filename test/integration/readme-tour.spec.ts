import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD } from '../support/test-app';
import { readmeBlocks, runReadmeBlocks } from '../support/readme-blocks';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/**
 * Runs the README's tour as a reader would: every block, in order, in one bash session (so the
 * variables and the `field` helper set by one block are there for the next), under `set -e`,
 * against the built service on a fresh data dir. The blocks run as written, except for the two
 * placeholders a reader fills in: `BASE=` (this service's port instead of 8080) and
 * `PASSWORD='<printed password>'` (the admin password this test chose). Commands expected to
 * succeed use `curl -f`, so an error answer fails the block; the ones that show a refusal print
 * `HTTP nnn` with `-w`, and each block's comments `# -> HTTP nnn` are compared with them in order.
 */
describe('the README tour, run as written', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-tour-'));
  let service: ServiceProcess;
  before(async () => {
    // The default admin email, as the tour signs in with it.
    service = await startServiceProcess(path.join(dataDir, 'data'), { SWITCHBOARD_ADMIN_EMAIL: '' });
  });
  after(async () => {
    await service?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs every block of the tour, with the statuses it shows', async () => {
    assert.ok(fs.existsSync('/usr/bin/curl'), 'curl is missing: test/run.ts installs it');
    const blocks = readmeBlocks('## A tour with curl');
    assert.ok(blocks.length >= 5, `only ${blocks.length} sh blocks in the tour`);
    assert.match(blocks[0].code, /^BASE=http:\/\/localhost:8080\/api\/v1$/m, 'the first block sets BASE');
    assert.match(blocks[0].code, /^PASSWORD='<printed password>'$/m, 'the first block sets PASSWORD');
    const filled = blocks.map((block) => ({
      ...block,
      code: block.code
        .replace(/^BASE=http:\/\/localhost:8080\/api\/v1$/m, `BASE=${service.baseUrl}/api/v1`)
        .replace(/^PASSWORD='<printed password>'$/m, `PASSWORD='${ADMIN_PASSWORD}'`),
    }));
    await runReadmeBlocks(filled, { cwd: dataDir });
  });
});
