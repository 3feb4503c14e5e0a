/**
 * Parquet through hyparquet, one row group at a time, so memory follows the row-group size, not the file size.
 * Columns are the schema's top-level fields; nested fields (structs, lists) arrive as objects and count as text.
 * A file hyparquet cannot read (no footer, a truncated upload, a CSV named .parquet) is a fatal defect.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { FileMetaData } from 'hyparquet';
import { DefectLog, type Batch, type TableReader } from './source.js';

export class ParquetReader implements TableReader {
  readonly format = 'parquet' as const;
  readonly textual = false;
  readonly defects = new DefectLog();
  columns: string[] = [];

  constructor(private readonly path: string) {}

  async *batches(): AsyncGenerator<Batch, void, undefined> {
    const file = await asyncBufferFromFile(this.path);
    if (file.byteLength === 0) {
      this.defects.addFatal({ kind: 'empty', message: 'the file is empty' });
      return;
    }
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file);
      this.columns = parquetSchema(metadata).children.map((c) => c.element.name);
    } catch (err) {
      this.defects.addFatal({ kind: 'unreadable', message: `not valid Parquet: ${(err as Error).message}` });
      return;
    }
    let rowStart = 0;
    for (const [g, group] of metadata.row_groups.entries()) {
      const rowEnd = rowStart + Number(group.num_rows);
      let rows: unknown[][] = [];
      try {
        await parquetRead({ file, metadata, rowStart, rowEnd, rowFormat: 'array', onComplete: (r) => (rows = r) });
      } catch (err) {
        this.defects.addFatal({ kind: 'unreadable', row: rowStart + 1, message: `not valid Parquet: row group ${g + 1} (rows ${rowStart + 1}..${rowEnd}): ${(err as Error).message}` });
        return;
      }
      rowStart = rowEnd;
      if (rows.length > 0) yield rows;
    }
  }
}
