/**
 * CSV, read in 256 KiB chunks. Lines without a quote character are split directly into field offsets (a line that
 * holds no `"` means exactly its delimiter-separated fields under RFC 4180): csv-parse alone takes ~50 ms per MB
 * on this machine, more than the whole check's budget, and the direct path ~3.5 ms. From
 * the first chunk that holds a quote on, csv-parse reads the rest of the file, starting at a line boundary, so
 * quoted fields, embedded delimiters and line breaks, and escaped quotes are csv-parse's job. A test feeds the same
 * files through both paths and compares every row.
 *
 * Defects, never exceptions: a short last row in a file that does not end with a line break is a truncated file;
 * other rows with the wrong number of fields are ragged rows; a NUL byte means binary data; an unclosed quote or a
 * line over 16 MiB stops the read.
 */
import { isUtf8 } from 'node:buffer';
import { Parser } from 'csv-parse';
import { DefectLog, TextBatch, readChunks, type Batch, type TableReader } from './source.js';

export interface CsvReaderOptions {
  delimiter?: string;
  /** Read size; small values in tests exercise rows split across chunks. */
  chunkSize?: number;
  maxRecordBytes?: number;
  /** Always use csv-parse (tests compare both paths). */
  forceLibrary?: boolean;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
// 256 KiB: the rows of one chunk mostly die young (V8's scavenger frees them cheaply); with 1 MiB chunks more of
// them lived through a scavenge into the old generation: a 200 MB scan grew RSS by ~70 MB instead of ~52 (64 MB
// old-space limit both times).
const DEFAULT_CHUNK = 256 << 10;
const DEFAULT_MAX_RECORD = 16 << 20;

export class CsvReader implements TableReader {
  readonly format = 'csv' as const;
  readonly textual = true;
  readonly defects = new DefectLog();
  columns: string[] = [];
  private width = 0;
  private haveHeader = false;
  private rows = 0;
  readonly delimiter: string;
  readonly maxRecordBytes: number;
  private readonly chunkSize: number;

  constructor(private readonly path: string, private readonly options: CsvReaderOptions = {}) {
    this.delimiter = options.delimiter ?? ',';
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD;
  }

  async *batches(): AsyncGenerator<Batch, void, undefined> {
    const stream = readChunks(this.path, this.chunkSize);
    let carry: Buffer | null = null;
    let library: LibraryPath | null = null;
    let offset = 0; // bytes of the file before the current chunk
    let line = 0; // lines the direct path has consumed
    let endsWithLineBreak = false;
    let badUtf8 = false;
    const utf8 = new Utf8Check();
    try {
      for await (const raw of stream) {
        let chunk = raw as Buffer;
        if (offset === 0) {
          if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
          if (!this.options.forceLibrary && crOnly(chunk)) library = new LibraryPath(this, 0);
        }
        const nul = chunk.indexOf(0);
        if (nul !== -1) {
          this.defects.addFatal({
            kind: 'unreadable',
            message: `not valid CSV: binary data (a NUL byte at byte ${offset + (raw as Buffer).length - chunk.length + nul}); is this really a CSV file?`,
          });
          return;
        }
        offset += (raw as Buffer).length;
        if (chunk.length === 0) continue;
        endsWithLineBreak = chunk[chunk.length - 1] === LF || chunk[chunk.length - 1] === CR;
        if (!badUtf8 && !utf8.check(chunk)) {
          badUtf8 = true;
          this.defects.add({
            kind: 'encoding',
            message: `the file is not valid UTF-8 (bad bytes between byte ${offset - chunk.length} and ${offset}); they read as U+FFFD`,
          });
        }
        if (library === null) {
          const data: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
          carry = null;
          if (this.options.forceLibrary || data.indexOf(QUOTE) !== -1) {
            library = new LibraryPath(this, line);
            chunk = data;
          } else {
            const last = data.lastIndexOf(LF);
            if (last === -1) {
              carry = data;
            } else {
              const batch = new TextBatch(data.toString('utf8', 0, last));
              line = this.splitLines(batch.text, line, batch);
              if (last + 1 < data.length) carry = data.subarray(last + 1);
              if (batch.length > 0) yield batch;
            }
            if (carry !== null && carry.length > this.maxRecordBytes) {
              this.defects.addFatal({ kind: 'unreadable', line: line + 1, message: `not valid CSV: line ${line + 1} is longer than ${this.maxRecordBytes >> 20} MiB` });
              return;
            }
            continue;
          }
        }
        const batch = library.write(chunk);
        if (batch.length > 0) yield batch;
        if (library.failed) return;
      }
      if (library !== null) {
        const batch = await library.end(endsWithLineBreak);
        if (batch.length > 0) yield batch;
      } else if (carry !== null) {
        const batch = new TextBatch(carry.toString('utf8'));
        this.splitLines(batch.text, line, batch, true);
        if (batch.length > 0) yield batch;
      }
      if (!this.haveHeader && !this.defects.fatal) {
        this.defects.addFatal({ kind: 'empty', message: offset === 0 ? 'the file is empty' : 'the file has no header row' });
      }
    } finally {
      await stream.return();
    }
  }

  /**
   * Splits complete lines (the text holds no quote) into a batch of field offsets; returns the line count. `final`:
   * the text is the file's unterminated tail.
   */
  private splitLines(text: string, line: number, batch: TextBatch, final = false): number {
    const delimiter = this.delimiter;
    const step = delimiter.length;
    let start = 0;
    const n = text.length;
    for (;;) {
      let end = text.indexOf('\n', start);
      const lastLine = end === -1;
      if (lastLine) end = n;
      line++;
      const stop = end > start && text.charCodeAt(end - 1) === CR ? end - 1 : end;
      if (stop > start) {
        const first = batch.fields;
        let from = start;
        for (;;) {
          const at = text.indexOf(delimiter, from);
          if (at === -1 || at >= stop) break;
          batch.field(from, at);
          from = at + step;
        }
        batch.field(from, stop);
        if (!this.haveHeader) {
          this.setHeader(batch.pending(), line);
          batch.dropRow();
        } else if (this.keep(batch.fields - first, line, final && lastLine)) {
          batch.endRow();
        } else {
          batch.dropRow();
        }
      }
      if (lastLine) return line;
      start = end + 1;
    }
  }

  /** Judges one parsed record (csv-parse's path); returns the data row to keep, or null (the header, a cut last row). */
  record(fields: string[], line: number, unterminatedLast: boolean): string[] | null {
    if (!this.haveHeader) {
      this.setHeader(fields, line);
      return null;
    }
    return this.keep(fields.length, line, unterminatedLast) ? fields : null;
  }

  /** A data row of `count` fields: kept, kept as a ragged row, or (a short unterminated last row) dropped. */
  private keep(count: number, line: number, unterminatedLast: boolean): boolean {
    if (count !== this.width) {
      const row = this.rows + 1;
      if (unterminatedLast && count < this.width) {
        this.defects.add({
          kind: 'truncated',
          row,
          line,
          message: `file truncated: last row has ${count} of ${this.width} columns (line ${line}, no line break at the end)`,
        });
        return false;
      }
      this.defects.add({
        kind: 'ragged-row',
        row,
        line,
        message: `row ${row} (line ${line}) has ${count} fields, the header has ${this.width}`,
      });
    }
    this.rows++;
    return true;
  }

  private setHeader(fields: string[], line: number): void {
    this.haveHeader = true;
    const seen = new Map<string, number>();
    this.columns = fields.map((raw, i) => {
      let name = raw.trim();
      if (name === '') {
        name = `column_${i + 1}`;
        this.defects.add({ kind: 'header', line, message: `header column ${i + 1} has no name (called '${name}' here)` });
      }
      const times = (seen.get(name) ?? 0) + 1;
      seen.set(name, times);
      if (times > 1) {
        const renamed = `${name}_${times}`;
        this.defects.add({ kind: 'header', line, message: `header names column '${name}' twice (the second is called '${renamed}' here)` });
        name = renamed;
      }
      return name;
    });
    this.width = fields.length;
    if (fields.length === 1) {
      const other = [';', '\t', '|', ','].find((d) => d !== this.delimiter && fields[0]!.includes(d));
      if (other !== undefined) {
        this.defects.add({
          kind: 'header',
          line,
          message: `the header is one column '${fields[0]!.slice(0, 60)}'; the file seems to use ${JSON.stringify(other)} as delimiter, not ${JSON.stringify(this.delimiter)}`,
        });
      }
    }
  }
}

/**
 * csv-parse over the rest of the file. Records are taken synchronously after each write (csv-parse transforms in
 * `write()` and buffers what it pushes), and the last record is held back until the end, when it is known whether
 * the file ended in a line break.
 */
class LibraryPath {
  private readonly parser: Parser;
  private error: (Error & { code?: string; lines?: number }) | null = null;
  private pending: { record: string[]; line: number } | null = null;
  failed = false;

  constructor(private readonly reader: CsvReader, private readonly lineOffset: number) {
    this.parser = new Parser({
      delimiter: reader.delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      info: true,
      max_record_size: reader.maxRecordBytes,
    });
    this.parser.on('error', (err) => {
      this.error ??= err;
    });
  }

  write(chunk: Buffer): unknown[][] {
    this.parser.write(chunk);
    return this.drain();
  }

  async end(endsWithLineBreak: boolean): Promise<unknown[][]> {
    this.parser.end();
    const batch = this.drain();
    // csv-parse reports an error of its final flush on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    batch.push(...this.drain());
    if (this.error === null && this.pending !== null) {
      const row = this.reader.record(this.pending.record, this.pending.line, !endsWithLineBreak);
      if (row !== null) batch.push(row);
      this.pending = null;
    }
    this.fail(batch);
    return batch;
  }

  private drain(): unknown[][] {
    const batch: unknown[][] = [];
    let item: { record: string[]; info: { lines: number } } | null;
    while ((item = this.parser.read() as typeof item) !== null) {
      if (this.pending !== null) {
        const row = this.reader.record(this.pending.record, this.pending.line, false);
        if (row !== null) batch.push(row);
      }
      this.pending = { record: item.record, line: this.lineOffset + item.info.lines };
    }
    this.fail(batch);
    return batch;
  }

  /** On a parse error, the held-back record was complete (more input followed it): it is a row, then the read stops. */
  private fail(batch: unknown[][]): void {
    const err = this.error;
    if (err === null || this.failed) return;
    this.failed = true;
    if (this.pending !== null) {
      const row = this.reader.record(this.pending.record, this.pending.line, false);
      if (row !== null) batch.push(row);
      this.pending = null;
    }
    const line = err.lines === undefined ? undefined : this.lineOffset + err.lines;
    const at = line === undefined ? '' : ` at line ${line}`;
    let what = err.message.replace(/ at line \d+/, '');
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') what = 'a quoted field is never closed (the file may be truncated)';
    this.reader.defects.addFatal({ kind: 'unreadable', ...(line === undefined ? {} : { line }), message: `not valid CSV${at}: ${what}` });
  }
}

/** Old Mac files end lines with CR alone; the direct path splits on LF, so they go to csv-parse. */
function crOnly(chunk: Buffer): boolean {
  const cr = chunk.indexOf(CR);
  if (cr === -1) return false;
  const lf = chunk.indexOf(LF);
  return lf === -1 || lf !== cr + 1;
}

/**
 * UTF-8 validity chunk by chunk (node's isUtf8 is SIMD-fast): a sequence cut by the chunk boundary is held back and
 * checked with the next chunk, so a character split across chunks is not called invalid.
 */
class Utf8Check {
  private tail: Buffer | null = null;

  check(chunk: Buffer): boolean {
    const data = this.tail === null ? chunk : Buffer.concat([this.tail, chunk]);
    const end = completeEnd(data);
    this.tail = end < data.length ? Buffer.from(data.subarray(end)) : null;
    return isUtf8(data.subarray(0, end));
  }
}

/** The end of the last complete UTF-8 sequence (a cut sequence at the end is at most 3 bytes). */
function completeEnd(data: Buffer): number {
  let i = data.length - 1;
  for (let k = 0; k < 3 && i >= 0 && (data[i]! & 0xc0) === 0x80; k++) i--;
  if (i < 0) return data.length;
  const lead = data[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return i + need <= data.length ? data.length : i;
}
