import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonTextBytes, MAX_TEXT_CHARS, RowCollector, textCell, TRUNCATION_MARK } from './cells';

describe('textCell', () => {
  it('counts characters as code points: 3,000 emoji stay whole', () => {
    const emoji = '😀'.repeat(3_000);
    assert.equal(textCell(emoji), emoji);
  });

  it('cuts after MAX_TEXT_CHARS characters without splitting a surrogate pair, and says how many there were', () => {
    const text = `a${'😀'.repeat(5_000)}`;
    const cell = textCell(text);
    const [kept, marker] = cell.split(TRUNCATION_MARK);
    assert.equal([...kept].length, MAX_TEXT_CHARS);
    assert.equal(kept, `a${'😀'.repeat(MAX_TEXT_CHARS - 1)}`);
    assert.equal(marker, '5001 characters]');
    assert.ok(Buffer.from(cell, 'utf8').toString('utf8') === cell, 'no lone surrogate');
    assert.equal(
      textCell('x'.repeat(MAX_TEXT_CHARS + 1)),
      `${'x'.repeat(MAX_TEXT_CHARS)}${TRUNCATION_MARK}${MAX_TEXT_CHARS + 1} characters]`,
    );
  });
});

describe('jsonTextBytes', () => {
  it('is the UTF-8 length of the JSON string, escapes included', () => {
    for (const text of [
      '',
      'plain ascii',
      'quote " and \\ backslash',
      '\u0001\n\t',
      'é',
      '€',
      '😀',
      'mixed é€😀 "x"\u0000',
      '\ud83d lone',
      'lone \ude00',
    ]) {
      assert.equal(jsonTextBytes(text), Buffer.byteLength(JSON.stringify(text)), JSON.stringify(text));
    }
  });
});

describe('RowCollector', () => {
  it('keeps the JSON of its cells under the byte budget, however the text escapes', () => {
    const cell = '\u0001'.repeat(1_000); // 6,002 bytes of JSON for 1,000 characters
    const collector = new RowCollector(10_000, 60_100);
    let rows = 0;
    while (collector.add([cell])) rows++;
    assert.equal(rows, 10);
    assert.ok(collector.truncated);
    assert.ok(Buffer.byteLength(JSON.stringify(collector.rows)) <= 60_100);
  });

  it('counts exactly once the cheap bound nears the budget, so plain text fills it', () => {
    const collector = new RowCollector(10_000, 6_100);
    let rows = 0;
    while (collector.add(['x'.repeat(100)])) rows++;
    assert.equal(rows, 58); // 105 bytes a row; the 6-bytes-a-character bound alone would stop at 10
    assert.ok(JSON.stringify(collector.rows).length <= 6_100);
    const limited = new RowCollector(3);
    for (let i = 0; i < 3; i++) assert.equal(limited.add([i, null, true]), true);
    assert.equal(limited.add([3, null, true]), false);
    assert.equal(limited.truncated, true);
  });
});
