import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

/** The repository (the tests run from .build/test/repository). */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const page = fs.readFileSync(path.join(ROOT, 'CONTRIBUTING.md'), 'utf8');

function controllerFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return controllerFiles(relative);
    return entry.name.endsWith('.controller.ts') ? [relative] : [];
  });
}

/** Rows of the route table: the routes (backticked, first column) and the controller file. */
const routeRows = page
  .split('\n')
  .filter((line) => /^\| `\//.test(line))
  .map((line) => {
    const [routes, controller] = line.split('|').slice(1, 3);
    return { routes: [...routes.matchAll(/`([^`]+)`/g)].map((match) => match[1]), controller: controller.trim().replace(/`/g, '') };
  });

/** CONTRIBUTING.md answers "where is the controller of this route" and "where do I add X": it must stay true. */
describe('CONTRIBUTING.md: the map of the repository', () => {
  it('lists every controller with the path it declares', () => {
    const files = [...controllerFiles('apps'), ...controllerFiles('libs')].sort();
    const listed = [...new Set(routeRows.map((row) => row.controller))].sort();
    assert.deepEqual(listed, files);
    for (const { routes, controller } of routeRows) {
      const declared = /@Controller\('([^']*)'\)/.exec(fs.readFileSync(path.join(ROOT, controller), 'utf8'))?.[1];
      assert.ok(declared !== undefined, `${controller} declares no @Controller path`);
      const documented = `/${declared.replace(/:([a-z]+)/g, '{$1}')}`;
      assert.ok(routes[0].startsWith(documented), `${controller} serves ${documented}, the table says ${routes[0]}`);
    }
  });

  it('names only files and folders that exist', () => {
    const named = [...page.matchAll(/`((?:apps|libs|test|bench)\/[^`<>*]+?)`/g)].map((match) => match[1]);
    assert.ok(named.length > 20, `only ${named.length} paths found`);
    const missing = named.filter((name) => !fs.existsSync(path.join(ROOT, name.replace(/\{sqlite,postgres\}\/?$/, ''))));
    assert.deepEqual(missing, []);
  });
});
