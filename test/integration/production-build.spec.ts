import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

/** The repository (the tests run from .build/test/integration). */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const NEST_CLI = JSON.parse(fs.readFileSync(path.join(ROOT, 'nest-cli.json'), 'utf8')) as { compilerOptions: { tsConfigPath: string } };
/** Where the shipped entry point lies in the build output (package.json `start`, the Dockerfile's CMD). */
const ENTRY = path.join('apps', 'api', 'src', 'main.js');

/** The files under `root`, relative to it. */
function filesUnder(root: string, dir = root): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(root, full) : [path.relative(root, full)];
  });
}

/**
 * `nest build` as `npm run build` and the Dockerfile run it, with the project's own tsconfig,
 * writing to a scratch directory instead of dist/ (a config that extends the real one keeps
 * its include and exclude, which resolve relative to the file that declares them).
 */
describe('production build: ships the service, no spec or test helper', () => {
  let dir: string;
  let shipped: string[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(ROOT, '.build', 'production-build-'));
    const tsconfig = path.join(dir, 'tsconfig.json');
    const outDir = path.join(dir, 'dist');
    fs.writeFileSync(
      tsconfig,
      JSON.stringify({ extends: path.join(ROOT, NEST_CLI.compilerOptions.tsConfigPath), compilerOptions: { outDir } }),
    );
    await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build', '--path', path.relative(ROOT, tsconfig)],
      {
        cwd: ROOT,
        maxBuffer: 64 << 20,
      },
    );
    shipped = filesUnder(outDir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds the entry point and the libraries', () => {
    assert.ok(shipped.includes(ENTRY), `no ${ENTRY} among ${shipped.length} files`);
    assert.ok(shipped.some((file) => file.startsWith(path.join('libs', 'connectors', 'src'))));
  });

  it('holds no compiled spec', () => {
    assert.deepEqual(
      shipped.filter((file) => /\.spec\.js(\.map)?$/.test(file)),
      [],
    );
  });

  it('holds nothing from test/ and no spec helper', () => {
    assert.deepEqual(
      shipped.filter((file) => file.split(path.sep)[0] === 'test' || /(^|[.-])spec([.-]|$)/.test(path.basename(file))),
      [],
    );
  });

  it('holds only what apps/ and libs/ compile to', () => {
    assert.deepEqual(
      shipped.filter((file) => !['apps', 'libs'].includes(file.split(path.sep)[0])),
      [],
    );
  });
});

/**
 * The node flags are part of how the service performs (bench/README.md: the young generation's
 * size, and pretenuring off so that requests waiting on the database are not born in the old
 * space): the container must run it as `npm start` does.
 */
describe('production start: the Dockerfile runs the service as npm start does', () => {
  it('gives node the same flags and entry point', () => {
    const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const cmd = /^CMD (\[.*\])$/m.exec(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    assert.ok(cmd, 'the Dockerfile has no CMD in exec form');
    assert.deepEqual(JSON.parse(cmd[1]), start.split(/\s+/));
    assert.ok(start.split(/\s+/).includes('--no-allocation-site-pretenuring'));
  });
});
