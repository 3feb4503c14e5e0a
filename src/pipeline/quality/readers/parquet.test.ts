import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { ParquetReader } from './parquet.js';
import { rowsOf } from './source.js';

const dir = mkdtempSync(join(tmpdir(), 'reflow-quality-parquet-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function read(path: string) {
  const reader = new ParquetReader(path);
  const batches: unknown[][][] = [];
  for await (const batch of reader.batches()) batches.push(rowsOf(batch));
  return { columns: reader.columns, batches, defects: reader.defects.list, fatal: reader.defects.fatal };
}

test('rows come one row group at a time, typed as Parquet stores them', async () => {
  const path = join(dir, 'ok.parquet');
  const rows = 2500;
  writeFileSync(
    path,
    new Uint8Array(
      parquetWriteBuffer({
        rowGroupSize: 1000,
        columnData: [
          { name: 'id', data: Array.from({ length: rows }, (_, i) => BigInt(i)), type: 'INT64' },
          { name: 'speed', data: Array.from({ length: rows }, (_, i) => (i % 10 === 0 ? null : i / 2)), type: 'DOUBLE', nullable: true },
          { name: 'label', data: Array.from({ length: rows }, (_, i) => `s${i % 3}`), type: 'STRING' },
        ],
      }),
    ),
  );
  const r = await read(path);
  assert.deepEqual(r.columns, ['id', 'speed', 'label']);
  assert.deepEqual(r.batches.map((b) => b.length), [1000, 1000, 500]);
  assert.deepEqual(r.batches[0]![1], [1n, 0.5, 's1']);
  assert.deepEqual(r.batches[0]![10], [10n, null, 's1']);
  assert.deepEqual(r.defects, []);
});

test('a file that is not Parquet, or a cut one, is a fatal defect with the reason', async () => {
  const csv = join(dir, 'really.csv.parquet');
  writeFileSync(csv, 'a,b\n1,2\n');
  assert.match((await read(csv)).fatal!.message, /^not valid Parquet: /);
  const whole = readFileSync(join(dir, 'ok.parquet'));
  const cut = join(dir, 'cut.parquet');
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
  assert.match((await read(cut)).fatal!.message, /^not valid Parquet: /);
  const empty = join(dir, 'empty.parquet');
  writeFileSync(empty, '');
  assert.equal((await read(empty)).fatal?.kind, 'empty');
});
