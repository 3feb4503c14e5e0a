import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentReader } from './segment-reader.js';

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function files(): { dir: string; a: Buffer; b: Buffer; segments: Array<{ path: string; size: number } | { data: Buffer; size: number }> } {
  const dir = mkdtempSync(join(tmpdir(), 'reflow-segments-'));
  const a = randomBytes(3 * MiB + 17);
  const b = randomBytes(2 * MiB + 5);
  writeFileSync(join(dir, 'a'), a);
  writeFileSync(join(dir, 'b'), b);
  const inline = Buffer.from('inline tail');
  return { dir, a, b, segments: [{ path: join(dir, 'a'), size: a.length }, { data: inline, size: inline.length }, { path: join(dir, 'b'), size: b.length }] };
}

test('segment reader: a consumer that recycles chunks gets every byte right while two buffers are reused', async () => {
  const { dir, a, b, segments } = files();
  try {
    let done = 0;
    const reader = new SegmentReader(segments, 0, a.length + 11 + b.length - 1, () => done++);
    const copies: Buffer[] = [];
    const seen = new Set<ArrayBufferLike>();
    let fileChunks = 0;
    for await (const chunk of reader as AsyncIterable<Buffer>) {
      copies.push(Buffer.from(chunk)); // what a socket does: take the bytes, then give the memory back
      if (chunk.buffer.byteLength === MiB) {
        fileChunks++;
        seen.add(chunk.buffer);
      }
      reader.recycle(chunk);
    }
    assert.equal(md5(Buffer.concat(copies)), md5(Buffer.concat([a, Buffer.from('inline tail'), b])));
    assert.ok(fileChunks >= 6, `${fileChunks} file chunks`);
    assert.ok(seen.size <= 3, `${fileChunks} chunks read into ${seen.size} buffers`);
    assert.equal(done, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('segment reader: a consumer that keeps its chunks gets fresh ones, and foreign or inline buffers are never taken back', async () => {
  const { dir, a, b, segments } = files();
  try {
    const reader = new SegmentReader(segments, 5, a.length + 11 + b.length - 10, () => undefined);
    const kept: Buffer[] = [];
    for await (const chunk of reader as AsyncIterable<Buffer>) {
      kept.push(chunk);
      reader.recycle(Buffer.alloc(MiB)); // not the reader's: ignored
      if (chunk.length === 11) reader.recycle(chunk); // inline bytes: not the reader's either
    }
    const whole = Buffer.concat([a, Buffer.from('inline tail'), b]);
    assert.equal(md5(Buffer.concat(kept)), md5(whole.subarray(5, whole.length - 9)));
    assert.equal(new Set(kept.map((c) => c.buffer)).size, kept.length, 'every chunk in memory of its own');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
