/**
 * NDJSON (JSON Lines): one JSON object per line, streamed in 256 KiB chunks and split on LF bytes (never inside a UTF-8
 * sequence). A line that is not a JSON object is a defect with its line number, not an exception; the scan goes on.
 * Columns are the keys in order of first appearance; a row without a key has no value there.
 */
import { DefectLog, readChunks, type Batch, type TableReader } from './source.js';

export interface NdjsonReaderOptions {
  chunkSize?: number;
  maxRecordBytes?: number;
}

const LF = 0x0a;

export class NdjsonReader implements TableReader {
  readonly format = 'ndjson' as const;
  readonly textual = false;
  readonly defects = new DefectLog();
  readonly columns: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly chunkSize: number;
  private readonly maxRecordBytes: number;

  constructor(private readonly path: string, options: NdjsonReaderOptions = {}) {
    this.chunkSize = options.chunkSize ?? 256 << 10; // see csv.ts
    this.maxRecordBytes = options.maxRecordBytes ?? 16 << 20;
  }

  async *batches(): AsyncGenerator<Batch, void, undefined> {
    const stream = readChunks(this.path, this.chunkSize);
    let carry: Buffer | null = null;
    let line = 0;
    let offset = 0;
    try {
      for await (const raw of stream) {
        let chunk = raw as Buffer;
        if (offset === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
        const nul = chunk.indexOf(0);
        if (nul !== -1) {
          this.defects.addFatal({ kind: 'unreadable', message: `not valid NDJSON: binary data (a NUL byte at byte ${offset + nul}); is this really an NDJSON file?` });
          return;
        }
        offset += (raw as Buffer).length;
        const data: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
        carry = null;
        const last = data.lastIndexOf(LF);
        if (last === -1) {
          carry = data;
        } else {
          const batch: unknown[][] = [];
          line = this.parseLines(data.toString('utf8', 0, last), line, batch, false);
          if (last + 1 < data.length) carry = data.subarray(last + 1);
          if (batch.length > 0) yield batch;
        }
        if (carry !== null && carry.length > this.maxRecordBytes) {
          this.defects.addFatal({ kind: 'unreadable', line: line + 1, message: `not valid NDJSON: line ${line + 1} is longer than ${this.maxRecordBytes >> 20} MiB` });
          return;
        }
      }
      if (carry !== null) {
        const batch: unknown[][] = [];
        this.parseLines(carry.toString('utf8'), line, batch, true);
        if (batch.length > 0) yield batch;
      }
      if (offset === 0) this.defects.addFatal({ kind: 'empty', message: 'the file is empty' });
    } finally {
      await stream.return();
    }
  }

  private parseLines(text: string, line: number, batch: unknown[][], unterminated: boolean): number {
    let start = 0;
    for (;;) {
      let end = text.indexOf('\n', start);
      const lastLine = end === -1;
      if (lastLine) end = text.length;
      line++;
      const body = text.slice(start, end);
      if (body.trim() !== '') {
        let value: unknown;
        let error: string | null = null;
        try {
          value = JSON.parse(body);
        } catch (err) {
          error = (err as Error).message;
        }
        if (error !== null) {
          if (unterminated && lastLine) {
            this.defects.add({ kind: 'truncated', line, message: `file truncated: last line ${line} is cut short (${error})` });
          } else {
            this.defects.add({ kind: 'malformed-line', line, message: `line ${line} is not valid JSON: ${error}` });
          }
        } else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          const what = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
          this.defects.add({ kind: 'malformed-line', line, message: `line ${line} is ${what}, not a JSON object` });
        } else {
          batch.push(this.toRow(value as Record<string, unknown>));
        }
      }
      if (lastLine) return line;
      start = end + 1;
    }
  }

  private toRow(object: Record<string, unknown>): unknown[] {
    const row: unknown[] = [];
    for (const key in object) {
      let i = this.index.get(key);
      if (i === undefined) {
        i = this.columns.length;
        this.columns.push(key);
        this.index.set(key, i);
      }
      row[i] = object[key];
    }
    return row;
  }
}
