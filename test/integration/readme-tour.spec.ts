import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD } from '../support/test-app';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

const README = path.resolve(__dirname, '..', '..', '..', 'README.md');
const SECTION = '## A tour with curl';

interface Block {
  /** 1-based, in reading order, with the README line it starts on: how failures name it. */
  name: string;
  code: string;
  /** The statuses its `# -> HTTP nnn` comments promise, in order. */
  statuses: string[];
}

/** The ```sh blocks of the tour section, as written. */
function tourBlocks(readme: string): Block[] {
  const start = readme.indexOf(SECTION);
  assert.ok(start >= 0, `README.md has no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const firstLine = readme.slice(0, start).split('\n').length;
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match, index) => {
    const line = firstLine + section.slice(0, match.index).split('\n').length;
    return {
      name: `tour block ${index + 1} (README.md line ${line})`,
      code: match[1],
      statuses: [...match[1].matchAll(/^# -> HTTP (\d{3})$/gm)].map((status) => status[1]),
    };
  });
}

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

  it('runs every block of the tour, with the statuses it shows', () => {
    assert.ok(fs.existsSync('/usr/bin/curl'), 'curl is missing: test/run.ts installs it');
    const blocks = tourBlocks(fs.readFileSync(README, 'utf8'));
    assert.ok(blocks.length >= 5, `only ${blocks.length} sh blocks in the tour`);
    const filled = (code: string) =>
      code
        .replace(/^BASE=http:\/\/localhost:8080\/api\/v1$/m, `BASE=${service.baseUrl}/api/v1`)
        .replace(/^PASSWORD='<printed password>'$/m, `PASSWORD='${ADMIN_PASSWORD}'`);
    assert.match(blocks[0].code, /^BASE=http:\/\/localhost:8080\/api\/v1$/m, 'the first block sets BASE');
    assert.match(blocks[0].code, /^PASSWORD='<printed password>'$/m, 'the first block sets PASSWORD');
    const marker = (index: number) => `@@ ${blocks[index].name} @@`;
    const script = [
      'set -eo pipefail',
      ...blocks.flatMap((block, index) => [`printf '\\n%s\\n' '${marker(index)}'`, filled(block.code)]),
    ].join('\n');
    const run = spawnSync('bash', ['-c', script], { cwd: dataDir, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH } });
    const outputs = run.stdout.split(/^@@ (.*) @@$/m);
    // [before, name1, output1, name2, output2, ...]
    const reached = outputs.length >= 3 ? outputs[outputs.length - 2] : 'before the first block';
    assert.equal(
      run.status,
      0,
      `${reached} failed (exit ${run.status ?? run.signal}):\n${outputs[outputs.length - 1]}\n${run.stderr}`.slice(0, 8000),
    );
    assert.equal((outputs.length - 1) / 2, blocks.length, 'every block ran');
    blocks.forEach((block, index) => {
      const printed = [...outputs[2 * index + 2].matchAll(/^HTTP (\d{3})$/gm)].map((status) => status[1]);
      assert.deepEqual(printed, block.statuses, `${block.name} printed other statuses than it shows:\n${outputs[2 * index + 2]}`);
    });
  });
});
