import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { ROOT } from '../support/console-build';

/**
 * The console's own unit and component tests (Vitest in jsdom: the schema-driven form, the
 * secret-field states, the session's refresh), run by the test command with every other spec.
 */
describe('web console: Vitest unit and component tests', () => {
  it('pass', async () => {
    const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const config = path.join(ROOT, 'apps', 'console', 'vitest.config.mts');
    const run = promisify(execFile)(process.execPath, [vitest, 'run', '--config', config, '--reporter=verbose'], {
      cwd: ROOT,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      maxBuffer: 64 << 20,
    });
    const { stdout } = await run.catch((error: { stdout?: string; stderr?: string }) =>
      assert.fail(`Vitest failed:\n${error.stdout}\n${error.stderr}`),
    );
    const passed = /Tests\s+(\d+) passed/.exec(stdout);
    assert.ok(passed && Number(passed[1]) >= 20, `fewer tests than written ran:\n${stdout}`);
    assert.doesNotMatch(stdout, /skipped|todo/i);
  });
});
