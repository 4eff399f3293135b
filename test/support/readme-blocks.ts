import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const README = path.resolve(__dirname, '..', '..', '..', 'README.md');

export interface ReadmeBlock {
  /** 1-based, in reading order, with the README line it starts on: how failures name it. */
  name: string;
  code: string;
  /** The statuses its `# -> HTTP nnn` comments promise, in order. */
  statuses: string[];
}

/** The ```sh blocks of one `## ` section of README.md (or of one `### ` subsection of it), as written. */
export function readmeBlocks(section: string, subsection?: string): ReadmeBlock[] {
  const readme = fs.readFileSync(README, 'utf8');
  const sectionStart = readme.indexOf(`\n${section}\n`) + 1;
  assert.ok(sectionStart > 0, `README.md has no "${section}" section`);
  const sectionEnd = readme.indexOf('\n## ', sectionStart + section.length);
  let start = sectionStart;
  let end = sectionEnd;
  if (subsection) {
    start = readme.indexOf(`\n${subsection}\n`, sectionStart) + 1;
    assert.ok(start > 0 && (sectionEnd < 0 || start < sectionEnd), `README.md's "${section}" has no "${subsection}"`);
    const next = readme.indexOf('\n### ', start + subsection.length);
    end = next >= 0 && (sectionEnd < 0 || next < sectionEnd) ? next : sectionEnd;
  }
  const heading = (subsection ?? section).replace(/^#+ /u, '');
  const firstLine = readme.slice(0, start).split('\n').length;
  const text = readme.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match, index) => {
    const line = firstLine + text.slice(0, match.index).split('\n').length;
    return {
      name: `${heading} block ${index + 1} (README.md line ${line})`,
      code: match[1],
      statuses: [...match[1].matchAll(/^# -> HTTP (\d{3})$/gm)].map((status) => status[1]),
    };
  });
}

/**
 * Runs blocks in order in one bash session under `set -eo pipefail` (so what one block sets is
 * there for the next), after `prelude`. Fails naming the block that failed, and compares the
 * `HTTP nnn` lines each block printed with the statuses its comments promise. Asynchronous, so
 * servers in this process (the test Databricks workspace) keep answering while the blocks run.
 */
export async function runReadmeBlocks(
  blocks: ReadmeBlock[],
  options: { cwd: string; prelude?: string; env?: Record<string, string> },
): Promise<void> {
  const marker = (index: number) => `@@ ${blocks[index].name} @@`;
  const script = [
    'set -eo pipefail',
    options.prelude ?? '',
    ...blocks.flatMap((block, index) => [`printf '\\n%s\\n' '${marker(index)}'`, block.code]),
  ].join('\n');
  const run = await runBash(script, options.cwd, { PATH: process.env.PATH, ...options.env });
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
}

/** Runs `script` in bash to its end (killed after 120 s), its output collected. */
function runBash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, timeout: 120_000 });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (status, signal) =>
      resolve({ status, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
}

/**
 * The shell lines README sections assume from the tour: `$BASE`, `$TOKEN` of the admin signed in
 * with `email`/`password`, and the `analytics` project created.
 */
export function signedInPrelude(baseUrl: string, email: string, password: string): string {
  return [
    `BASE=${baseUrl}/api/v1`,
    `TOKEN=$(curl -sf -X POST $BASE/auth/login -H 'content-type: application/json' ` +
      `-d '{"email":"${email}","password":"${password}"}' | jq -r .accessToken)`,
    `curl -sf -o /dev/null -X POST $BASE/projects -H "authorization: Bearer $TOKEN" ` +
      `-H 'content-type: application/json' -d '{"slug":"analytics","name":"Analytics"}'`,
  ].join('\n');
}
