import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/** The repository (this runs from .build/test/support). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUILD = path.resolve(__dirname, '..', '..');

let built: Promise<string> | undefined;

/** How long a spec waits for another spec process's build of the console. */
const FOREIGN_BUILD_TIMEOUT_MS = 5 * 60_000;

/**
 * Builds the console as `npm run build` does (the service's OpenAPI document, the typed client
 * generated from it, a type-check, Vite), from the compiled test tree into .build/console; once
 * per test run: the spec files run in processes of their own, and a second build would empty
 * the directory another one serves from. The first process to take the lock builds; the others
 * wait for its marker (.build is wiped by every `npm run test:only`, locks and markers with it).
 */
export function buildConsole(): Promise<string> {
  built ??= (async () => {
    const outDir = path.join(BUILD, 'console');
    const done = path.join(BUILD, 'console.built');
    const failed = path.join(BUILD, 'console.failed');
    try {
      fs.mkdirSync(path.join(BUILD, 'console.lock'));
    } catch {
      return waitForForeignBuild(outDir, done, failed);
    }
    try {
      await buildInto(outDir);
      fs.writeFileSync(done, '');
    } catch (error) {
      fs.writeFileSync(failed, error instanceof Error ? error.message : String(error));
      throw error;
    }
    return outDir;
  })();
  return built;
}

async function waitForForeignBuild(outDir: string, done: string, failed: string): Promise<string> {
  for (const deadline = Date.now() + FOREIGN_BUILD_TIMEOUT_MS; Date.now() < deadline;) {
    if (fs.existsSync(done)) return outDir;
    if (fs.existsSync(failed)) throw new Error(fs.readFileSync(failed, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('another test process took the console build lock and did not finish it in time');
}

async function buildInto(outDir: string): Promise<void> {
  const document = path.join(BUILD, 'console-openapi.json');
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
}
