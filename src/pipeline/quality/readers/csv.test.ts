import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '../sketches.js';
import { CsvReader, type CsvReaderOptions } from './csv.js';
import { rowsOf } from './source.js';

const dir = mkdtempSync(join(tmpdir(), 'reflow-quality-csv-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function file(content: string | Buffer): string {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, content);
  return path;
}

async function read(path: string, options: CsvReaderOptions = {}) {
  const reader = new CsvReader(path, options);
  const rows: unknown[][] = [];
  for await (const batch of reader.batches()) rows.push(...rowsOf(batch));
  return { columns: reader.columns, rows, defects: reader.defects.list, fatal: reader.defects.fatal };
}

/** Both paths (direct split and csv-parse), with whole-file and tiny chunks. */
async function readAll(path: string, options: CsvReaderOptions = {}) {
  const results = [];
  for (const forceLibrary of [false, true]) {
    for (const chunkSize of [1 << 20, 7, 64]) results.push(await read(path, { ...options, forceLibrary, chunkSize }));
  }
  for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
  return results[0]!;
}

test('header, BOM, CRLF, empty lines: the same rows from both paths and any chunking', async () => {
  const r = await readAll(file('\ufeffa,b,c\r\n1,2,3\r\n\r\n4,,6\r\n'));
  assert.deepEqual(r.columns, ['a', 'b', 'c']);
  assert.deepEqual(r.rows, [['1', '2', '3'], ['4', '', '6']]);
  assert.deepEqual(r.defects, []);
  const noFinalBreak = await readAll(file('a,b\n1,2\n3,4'));
  assert.deepEqual(noFinalBreak.rows, [['1', '2'], ['3', '4']]);
  assert.deepEqual(noFinalBreak.defects, []);
});

test('quoted fields with delimiters, line breaks and escaped quotes go through csv-parse', async () => {
  const r = await read(file('name,note\n"Smith, J","said ""hi""\nthen left"\nplain,x\n'));
  assert.deepEqual(r.rows, [['Smith, J', 'said "hi"\nthen left'], ['plain', 'x']]);
  // A quote appearing only late in the file: the direct path hands over at a line boundary.
  const lines = ['a,b', ...Array.from({ length: 500 }, (_, i) => `${i},x${i}`), '"q,1",2', '7,8'];
  const late = await read(file(lines.join('\n') + '\n'), { chunkSize: 256 });
  assert.equal(late.rows.length, 502);
  assert.deepEqual(late.rows[500], ['q,1', '2']);
  assert.deepEqual(late.rows[501], ['7', '8']);
});

test('differential: random quote-free CSV reads the same through the direct path and csv-parse', async () => {
  const rng = new Prng(11);
  const alphabet = ['a', 'b', 'Z', '0', '9', '.', '-', ' ', 'é', '漢', '😀', ';', '\t'];
  for (let round = 0; round < 25; round++) {
    const width = 1 + Math.floor(rng.next() * 5);
    const eol = rng.next() < 0.5 ? '\n' : '\r\n';
    const lines = [Array.from({ length: width }, (_, i) => `c${i}`).join(',')];
    const rows = Math.floor(rng.next() * 60);
    for (let r = 0; r < rows; r++) {
      if (rng.next() < 0.05) {
        lines.push('');
        continue;
      }
      const w = rng.next() < 0.1 ? Math.max(1, width + (rng.next() < 0.5 ? -1 : 1)) : width;
      const cells = Array.from({ length: w }, () => Array.from({ length: Math.floor(rng.next() * 6) }, () => alphabet[Math.floor(rng.next() * alphabet.length)]).join(''));
      lines.push(cells.join(','));
    }
    const text = lines.join(eol) + (rng.next() < 0.7 ? eol : '');
    await readAll(file(text));
  }
});

test('a multi-byte character split across chunks is neither corrupted nor called invalid', async () => {
  const r = await readAll(file('city,temp\nMünchen,12\n東京,20\n😀,1\n'));
  assert.deepEqual(r.rows, [['München', '12'], ['東京', '20'], ['😀', '1']]);
  assert.deepEqual(r.defects, []);
});

test('a truncated last row is a defect and is not read as data, in both paths', async () => {
  for (const forceLibrary of [false, true]) {
    const r = await read(file('a,b,c,d,e,f\n1,2,3,4,5,6\n7,8,9'), { forceLibrary });
    assert.deepEqual(r.rows, [['1', '2', '3', '4', '5', '6']]);
    assert.equal(r.defects.length, 1);
    assert.equal(r.defects[0]!.kind, 'truncated');
    assert.match(r.defects[0]!.message, /^file truncated: last row has 3 of 6 columns/);
    assert.equal(r.defects[0]!.row, 2);
    assert.equal(r.defects[0]!.line, 3);
  }
  // A short last row that did end with a line break is a ragged row (written short), not a cut file.
  const ragged = await read(file('a,b,c\n1,2,3\n4,5\n'));
  assert.equal(ragged.rows.length, 2);
  assert.equal(ragged.defects[0]!.kind, 'ragged-row');
  assert.match(ragged.defects[0]!.message, /row 2 \(line 3\) has 2 fields, the header has 3/);
});

test('a quoted field cut by the end of the file stops the read with a reason', async () => {
  const r = await read(file('a,b\n1,2\n3,"unfinished\n'));
  assert.deepEqual(r.rows, [['1', '2']]);
  assert.equal(r.fatal?.kind, 'unreadable');
  assert.match(r.fatal!.message, /^not valid CSV at line 3: a quoted field is never closed \(the file may be truncated\)/);
});

test('header defects: empty and repeated names, and the wrong delimiter', async () => {
  const r = await read(file('a,,a\n1,2,3\n'));
  assert.deepEqual(r.columns, ['a', 'column_2', 'a_2']);
  assert.deepEqual(r.defects.map((d) => d.kind), ['header', 'header']);
  const semi = await read(file('timestamp;speed_kmh;drowsy\n2026-01-01;3;0\n'));
  assert.deepEqual(semi.columns, ['timestamp;speed_kmh;drowsy']);
  assert.match(semi.defects[0]!.message, /seems to use ";" as delimiter, not ","/);
  const right = await read(file('timestamp;speed_kmh\n2026-01-01;3\n'), { delimiter: ';' });
  assert.deepEqual(right.columns, ['timestamp', 'speed_kmh']);
  assert.deepEqual(right.defects, []);
});

test('binary data, empty files, header-only files, CR-only line ends, invalid UTF-8', async () => {
  const binary = await read(file(Buffer.from([0x50, 0x41, 0x52, 0x31, 0x00, 0x01, 0x0a, 0x02])));
  assert.match(binary.fatal!.message, /^not valid CSV: binary data \(a NUL byte at byte 4\)/);
  assert.equal((await read(file(''))).fatal?.kind, 'empty');
  assert.match((await read(file('\n\n'))).fatal!.message, /no header row/);
  const headerOnly = await read(file('a,b\n'));
  assert.deepEqual(headerOnly.columns, ['a', 'b']);
  assert.deepEqual(headerOnly.rows, []);
  assert.equal(headerOnly.fatal, null);
  const cr = await read(file('a,b\r1,2\r3,4\r'));
  assert.deepEqual(cr.rows, [['1', '2'], ['3', '4']]);
  const latin1 = await read(file(Buffer.concat([Buffer.from('name\nM'), Buffer.from([0xfc]), Buffer.from('nchen\n')])));
  assert.equal(latin1.defects[0]!.kind, 'encoding');
  assert.equal(latin1.rows.length, 1);
});

test('a line longer than the record limit stops the read instead of filling memory', async () => {
  const r = await read(file('a\n' + 'x'.repeat(5000)), { maxRecordBytes: 1024, chunkSize: 256 });
  assert.match(r.fatal!.message, /line 2 is longer than/);
});
