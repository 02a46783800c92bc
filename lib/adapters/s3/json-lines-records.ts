import type { Readable } from 'node:stream';
import { AudienceMalformed } from '../../errors.ts';
import type { AudienceCheckpoint, AudienceRecord } from '../../ports/audience-source.ts';
import { MAX_ROW_BYTES } from './row-limits.ts';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** One line of the file as bytes, and the offset where the line after it starts. */
interface Line {
  bytes: Buffer;
  next: number;
}

/**
 * The JSON Lines rows of `body`, which starts at `from.offset` of the object. Offsets count bytes
 * exactly (a line's `\n` included; its `\r` before `\n` dropped from the text). Blank lines are
 * not rows, but their bytes count. A line that is not a JSON object is a row with a `problem`.
 */
export async function* jsonLinesRecords(body: Readable, from: AudienceCheckpoint): AsyncGenerator<AudienceRecord> {
  let row = from.row;
  for await (const line of lines(body, from.offset)) {
    const text = line.bytes.toString('utf8').trim();
    if (text === '') continue;
    row += 1;
    const checkpoint = { offset: line.next, row };
    const parsed = parseObject(text);
    yield 'values' in parsed ? { row, values: parsed.values, checkpoint } : { row, problem: parsed.problem, checkpoint };
  }
}

/** The lines of `body`, split on `\n` byte by byte, so offsets stay exact whatever the characters. */
async function* lines(body: Readable, start: number): AsyncGenerator<Line> {
  let pending: Buffer = Buffer.alloc(0);
  let offset = start;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let end = pending.indexOf(NEWLINE);
    while (end !== -1) {
      const line = withoutBom(pending.subarray(0, end), offset);
      offset += end + 1;
      yield { bytes: line.at(-1) === CARRIAGE_RETURN ? line.subarray(0, -1) : line, next: offset };
      pending = pending.subarray(end + 1);
      end = pending.indexOf(NEWLINE);
    }
    if (pending.length > MAX_ROW_BYTES)
      throw new AudienceMalformed(`The audience's line starting at byte ${offset} is longer than ${MAX_ROW_BYTES} bytes`);
  }
  // The last line needs no newline.
  if (pending.length > 0) yield { bytes: withoutBom(pending, offset), next: offset + pending.length };
}

function withoutBom(line: Buffer, offset: number): Buffer {
  return offset === 0 && line.subarray(0, 3).equals(UTF8_BOM) ? line.subarray(3) : line;
}

function parseObject(text: string): { values: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON: ${(error as Error).message}` };
  }
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  return isObject ? { values: value as Record<string, unknown> } : { problem: 'not a JSON object' };
}
