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

/** The text of one `## ` section of README.md (or of one `### ` subsection in it) and the line it starts on. */
function sectionText(readme: string, section: string, subsection?: string): { text: string; start: number } {
  const start = readme.indexOf(`\n${section}\n`) + 1;
  assert.ok(start > 0, `README.md has no "${section}" section`);
  const end = readme.indexOf('\n## ', start + section.length);
  const text = readme.slice(start, end < 0 ? undefined : end);
  if (subsection === undefined) return { text, start };
  const from = text.indexOf(`\n${subsection}\n`) + 1;
  assert.ok(from > 0, `README.md's "${section}" has no "${subsection}"`);
  const to = text.indexOf('\n### ', from + subsection.length);
  return { text: text.slice(from, to < 0 ? undefined : to), start: start + from };
}

/** The ```sh blocks of one `## ` section of README.md (or of one `### ` subsection of it), as written. */
export function readmeBlocks(section: string, subsection?: string): ReadmeBlock[] {
  const readme = fs.readFileSync(README, 'utf8');
  const { text, start } = sectionText(readme, section, subsection);
  const firstLine = readme.slice(0, start).split('\n').length;
  const title = (subsection ?? section).replace(/^#+ /u, '');
  return [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match, index) => {
    const line = firstLine + text.slice(0, match.index).split('\n').length;
    return {
      name: `${title} block ${index + 1} (README.md line ${line})`,
      code: match[1],
      statuses: [...match[1].matchAll(/^# -> HTTP (\d{3})$/gm)].map((status) => status[1]),
    };
  });
}

/**
 * Runs blocks in order in one bash session under `set -eo pipefail` (so what one block sets is
 * there for the next), after `prelude`. Fails naming the block that failed, and compares the
 * `HTTP nnn` lines each block printed with the statuses its comments promise. Bash runs beside
 * this process, not instead of it: test servers in this process answer the blocks meanwhile.
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
  const run = await bash(script, options.cwd, { PATH: process.env.PATH, ...options.env });
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

/** Runs `script` in bash, killed after 120 s; its exit status (or the signal that ended it) and output. */
function bash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}
