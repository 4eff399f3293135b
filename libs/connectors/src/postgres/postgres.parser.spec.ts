import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LONG, parsePostgres, RETIRE_IDLE_MS } from './postgres.parser';
import { analyseStatement } from './postgres.statement';

// This file runs in a process of its own (node --test): a forced collection shows what is still referenced.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** The longest statement the API takes (MAX_SQL_LENGTH, libs/introspection/src/introspection.dto.ts). */
const LONGEST = 100_000;

/**
 * This process's WebAssembly memories and the MiB of them resident, from /proc/self/smaps: V8
 * reserves each with guard regions of at least a GiB (no access) on both sides of its
 * accessible part.
 */
function wasmMemories(): { count: number; residentMiB: number } {
  const mappings = fs
    .readFileSync('/proc/self/smaps', 'utf8')
    .split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)
    .map((mapping) => {
      const [, start, end, access] = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(mapping) ?? [];
      const residentKiB = Number(/^Rss:\s+(\d+) kB$/m.exec(mapping)?.[1] ?? 0);
      return { start: parseInt(start, 16), end: parseInt(end, 16), access, residentKiB };
    });
  const guard = (index: number, at: number): boolean => {
    const mapping = mappings[index];
    return mapping?.access === '---p' && mapping.end - mapping.start >= 2 ** 30 && (mapping.start === at || mapping.end === at);
  };
  const memories = mappings.filter(
    (mapping, index) => mapping.access === 'rw-p' && guard(index - 1, mapping.start) && guard(index + 1, mapping.end),
  );
  return { count: memories.length, residentMiB: memories.reduce((sum, memory) => sum + memory.residentKiB, 0) / 1024 };
}

/** After full collections, with tasks run in between: what is left is what something holds. */
async function settled(): Promise<{ count: number; residentMiB: number }> {
  for (let round = 0; round < 3; round += 1) {
    collectGarbage();
    await sleep(20);
  }
  return wasmMemories();
}

/** Statements of `length` characters, each shape among those that leave the most memory written (about 200 bytes a character). */
const statements = (length: number): string[] => [
  `SELECT ${'*,'.repeat((length - 8) / 2)}*`,
  `SELECT ${'a.b,'.repeat((length - 8) / 4)}a`,
  `${'TABLE t;'.repeat(length / 8 - 1)}TABLE t`,
  `SELECT 1 WHERE ${'a=1 OR '.repeat((length - 18) / 7)}a=1`,
];

describe('PostgreSQL parser memory', () => {
  it('shares one instance among long statements, and retires it once they stop: its memory is collected', async () => {
    await parsePostgres('SELECT 1');
    const fresh = await settled();
    assert.ok(fresh.count >= 1, 'no WebAssembly memory found in /proc/self/smaps');

    let mostAlive = 0;
    for (let round = 0; round < 24; round += 1) {
      const sql = statements(LONGEST)[round % 4];
      assert.ok(sql.length <= LONGEST && sql.length > LONGEST - 16, `${sql.length}`);
      await analyseStatement(sql);
      mostAlive = Math.max(mostAlive, wasmMemories().count);
    }
    // A new instance per long statement would start a full collection each time (postgres.parser.ts).
    assert.equal(mostAlive, fresh.count, `${mostAlive} WebAssembly memories alive at once, ${fresh.count} before`);
    const grown = wasmMemories();
    assert.ok(
      grown.residentMiB > fresh.residentMiB + 8,
      `parser memory ${fresh.residentMiB.toFixed(1)} -> ${grown.residentMiB.toFixed(1)} MiB`,
    );

    await sleep(RETIRE_IDLE_MS + 500);
    const after = await settled();
    assert.ok(
      after.residentMiB < fresh.residentMiB + 4,
      `parser memory ${fresh.residentMiB.toFixed(1)} -> ${after.residentMiB.toFixed(1)} MiB`,
    );
    assert.equal(after.count, fresh.count);
    await parsePostgres('SELECT 1');
  });

  it('keeps an instance that parsed no statement longer than LONG: a few MiB more than a fresh one', async () => {
    const fresh = await settled();
    for (let round = 0; round < 20; round += 1) {
      const sql = statements(LONG)[round % 4];
      assert.ok(sql.length <= LONG, `${sql.length}`);
      await analyseStatement(sql);
    }
    const after = await settled();
    assert.ok(
      after.residentMiB < fresh.residentMiB + 4,
      `parser memory ${fresh.residentMiB.toFixed(1)} -> ${after.residentMiB.toFixed(1)} MiB`,
    );
  });
});
