import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NdjsonReader } from './ndjson.js';
import { rowsOf } from './source.js';

const dir = mkdtempSync(join(tmpdir(), 'reflow-quality-ndjson-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function read(content: string | Buffer, chunkSize?: number) {
  const path = join(dir, `f${n++}.ndjson`);
  writeFileSync(path, content);
  const reader = new NdjsonReader(path, chunkSize ? { chunkSize } : {});
  const rows: unknown[][] = [];
  for await (const batch of reader.batches()) rows.push(...rowsOf(batch));
  return { columns: reader.columns, rows, defects: reader.defects.list, fatal: reader.defects.fatal };
}

test('objects become rows aligned with the keys in order of first appearance, any chunking', async () => {
  const text = '{"a":1,"b":"x"}\r\n\n{"b":"y","c":true}\n{"a":null,"c":{"n":[1,2]}}\n';
  for (const chunkSize of [undefined, 5]) {
    const r = await read(text, chunkSize);
    assert.deepEqual(r.columns, ['a', 'b', 'c']);
    assert.deepEqual(r.rows.map((row) => Array.from({ length: 3 }, (_, i) => row[i])), [
      [1, 'x', undefined],
      [undefined, 'y', true],
      [null, undefined, { n: [1, 2] }],
    ]);
    assert.deepEqual(r.defects, []);
  }
});

test('a malformed line is a defect with its line number; the read goes on', async () => {
  const r = await read('{"a":1}\n{"a":2,\n[1,2]\n"text"\n{"a":3}\n');
  assert.deepEqual(r.rows, [[1], [3]]);
  assert.deepEqual(r.defects.map((d) => [d.kind, d.line]), [
    ['malformed-line', 2],
    ['malformed-line', 3],
    ['malformed-line', 4],
  ]);
  assert.match(r.defects[0]!.message, /^line 2 is not valid JSON: /);
  assert.match(r.defects[1]!.message, /^line 3 is an array, not a JSON object/);
  assert.match(r.defects[2]!.message, /^line 4 is a string, not a JSON object/);
});

test('a cut last line is a truncated file; a complete last line without a line break is fine', async () => {
  const cut = await read('{"a":1}\n{"a":2}\n{"a":');
  assert.equal(cut.rows.length, 2);
  assert.equal(cut.defects[0]!.kind, 'truncated');
  assert.match(cut.defects[0]!.message, /^file truncated: last line 3 is cut short/);
  const whole = await read('{"a":1}\n{"a":2}');
  assert.equal(whole.rows.length, 2);
  assert.deepEqual(whole.defects, []);
});

test('binary and empty files are fatal defects, not exceptions', async () => {
  assert.match((await read(Buffer.from([0x7b, 0x00, 0x7d]))).fatal!.message, /binary data/);
  assert.equal((await read('')).fatal?.kind, 'empty');
});
