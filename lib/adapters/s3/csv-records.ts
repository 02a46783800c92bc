import { pipeline, type Readable } from 'node:stream';
import { CsvError, type Info, parse } from 'csv-parse';
import type { AudienceRow } from '../../domain/audience-row.ts';
import { AudienceMalformed } from '../../errors.ts';
import type { AudienceCheckpoint, AudienceRecord } from '../../ports/audience-source.ts';
import { MAX_ROW_BYTES } from './row-limits.ts';

/** A parsed record as csv-parse hands it over with `info: true`; `info.error` is set when the field count differs from the header's. */
interface ParsedRecord {
  record: AudienceRow;
  info: Info & { error?: CsvError & { record?: unknown[] } };
}

/**
 * The CSV rows of `body`, which starts at `from.offset` of the object. With no header in `from`
 * the body must start at the file's header row. Each row's checkpoint offset is where the next
 * row starts: csv-parse counts the bytes it consumed (quoted newlines and multi-byte characters
 * included), up to and with the row's line ending.
 */
export async function* csvRecords(body: Readable, from: AudienceCheckpoint): AsyncGenerator<AudienceRecord> {
  if (from.offset > 0 && !from.header) throw new Error('A CSV audience checkpoint past the header must carry the header');
  let header = from.header ? [...from.header] : undefined;
  const parser = parse({
    bom: true,
    info: true,
    columns: header ?? ((names: string[]) => (header = names)),
    // A record with more or fewer fields than the header is one bad row, not a broken file.
    relax_column_count: true,
    skip_empty_lines: true,
    // Strict quoting stays on: a stray or unclosed quote is an error, and this bound keeps an
    // unclosed one from buffering the rest of the file before it is reported.
    max_record_size: MAX_ROW_BYTES,
  });
  // Errors of either stream reach the loop through the parser; breaking out of it ends the download.
  pipeline(body, parser, () => {});
  let row = from.row;
  try {
    for await (const { record, info } of parser as AsyncIterable<ParsedRecord>) {
      row += 1;
      const checkpoint = { offset: from.offset + info.bytes, row, ...(header ? { header } : {}) };
      yield info.error ? { row, problem: fieldCountProblem(info.error, header), checkpoint } : { row, values: record, checkpoint };
    }
  } catch (error) {
    if (error instanceof CsvError) throw malformedRow(error, { from, headerRead: header !== undefined });
    throw error;
  }
}

function fieldCountProblem(error: CsvError & { record?: unknown[] }, header: readonly string[] | undefined): string {
  const fields = error.record?.length ?? 0;
  return `${fields} field${fields === 1 ? '' : 's'} where the header has ${header?.length ?? 0}`;
}

/**
 * csv-parse names lines of the part it read; whoever fixes the file needs the row and the byte
 * where it starts. The error's counts are the parser's own, so rows it parsed but the loop had not
 * taken yet are counted too.
 */
function malformedRow(error: CsvError, { from, headerRead }: { from: AudienceCheckpoint; headerRead: boolean }): AudienceMalformed {
  const { records = 0, bytes_records: bytesRead = 0 } = error as CsvError & { records?: number; bytes_records?: number };
  const where = headerRead ? `row ${from.row + records + 1}` : 'the header row';
  return new AudienceMalformed(`The audience CSV cannot be read at ${where} (from byte ${from.offset + bytesRead}): ${error.message}`, {
    cause: error,
  });
}
