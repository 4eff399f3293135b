import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/** The repository (this runs from .build/test/support). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUILD = path.resolve(__dirname, '..', '..');

const built = new Map<string, Promise<string>>();

/**
 * Builds the console as `npm run build` does (the service's OpenAPI document, the typed client
 * generated from it, a type-check, Vite), from the compiled test tree into .build/<name>; once per
 * process and name. Specs that run at the same time give different names: a build empties its
 * output first, under the feet of a service serving it.
 */
export function buildConsole(name = 'console'): Promise<string> {
  const existing = built.get(name);
  if (existing) return existing;
  const building = (async () => {
    const outDir = path.join(BUILD, name);
    const document = path.join(BUILD, `${name}-openapi.json`);
    const run = (args: string[]) => promisify(execFile)(process.execPath, args, { cwd: ROOT, maxBuffer: 64 << 20 });
    await run([
      '--require',
      path.join(BUILD, 'test', 'support', 'paths.js'),
      path.join(BUILD, 'apps', 'api', 'src', 'export-openapi.js'),
      document,
    ]);
    await run([path.join(ROOT, 'apps', 'console', 'build.mjs'), document, outDir]).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`the console did not build:\n${error.stdout}\n${error.stderr}`);
    });
    if (!fs.existsSync(path.join(outDir, 'index.html'))) throw new Error('the console build wrote no index.html');
    return outDir;
  })();
  built.set(name, building);
  return building;
}
