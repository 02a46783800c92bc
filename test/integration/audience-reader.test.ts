import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createAudienceReader } from '../../lib/adapters/s3/audience-reader.ts';
import { csvRecords } from '../../lib/adapters/s3/csv-records.ts';
import { jsonLinesRecords } from '../../lib/adapters/s3/json-lines-records.ts';
import { AudienceChanged, AudienceMalformed, AudienceNotFound } from '../../lib/errors.ts';
import type { AudienceCheckpoint, AudienceReadRequest, AudienceRecord } from '../../lib/ports/audience-source.ts';
import { useLocalStack } from '../helpers/local-stack.ts';

const { clients } = useLocalStack();
const reader = createAudienceReader(clients.s3);
const bucket = `audience-${randomBytes(4).toString('hex')}`;
await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));

/** A BOM, quoted commas and line breaks, escaped quotes, multi-byte names, \r\n, a blank line, no final line break. */
const CSV = Buffer.from(
  '\uFEFFphone,name,note\r\n' +
    '+4915112345678,"Müller, Jürgen","line one\r\nline two"\r\n' +
    '+819012345678,日本 太郎,🎉 party\r\n' +
    '+33612345678,"Zoë ""Z"" 🙂",plain\r\n' +
    '\r\n' +
    '+4915100000000,last,"end"',
);
const CSV_ROWS = [
  { phone: '+4915112345678', name: 'Müller, Jürgen', note: 'line one\r\nline two' },
  { phone: '+819012345678', name: '日本 太郎', note: '🎉 party' },
  { phone: '+33612345678', name: 'Zoë "Z" 🙂', note: 'plain' },
  { phone: '+4915100000000', name: 'last', note: 'end' },
];

/** Numbers, a blank line, a line that is JSON but no object, one that is no JSON, \r\n and \n, no final line break. */
const JSONL = Buffer.from(
  '{"phone":4915112345678,"name":"Jürgen"}\r\n' +
    '\n' +
    '[1,2]\n' +
    '{"phone":"+819012345678","name":"日本 🎉","score":1.5}\n' +
    'not json\n' +
    '{"phone":"+33612345678"}',
);

async function put(key: string, body: Buffer | string): Promise<string> {
  const { ETag } = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return ETag!;
}

async function collect(records: AsyncIterable<AudienceRecord>, limit = Number.POSITIVE_INFINITY): Promise<AudienceRecord[]> {
  const read: AudienceRecord[] = [];
  if (limit === 0) return read;
  for await (const record of records) {
    read.push(record);
    if (read.length === limit) break;
  }
  return read;
}

/** What a record says, without its checkpoint: the union of two reads must equal one whole read. */
const content = ({ row, values, problem }: AudienceRecord) => (problem === undefined ? { row, values } : { row, problem });

/** Reads `n` rows, then the rest with a new reader from the checkpoint, as a feeder restarted after a crash would. */
async function readInTwo(request: AudienceReadRequest, n: number): Promise<AudienceRecord[]> {
  const first = await collect(createAudienceReader(clients.s3).rows(request), n);
  const from: AudienceCheckpoint | undefined = first.at(-1)?.checkpoint;
  const rest = await collect(createAudienceReader(clients.s3).rows({ ...request, from }));
  return [...first, ...rest];
}

describe('reading a CSV audience', async () => {
  const etag = await put('audience.csv', CSV);
  const request: AudienceReadRequest = { bucket, key: 'audience.csv', format: 'csv', etag };

  it('describes the object by ETag and size', async () => {
    expect(await reader.describe({ bucket, key: 'audience.csv' })).toEqual({ etag, size: CSV.length });
  });

  it('reads every row by header, numbered from 1, each with the offset where the next starts', async () => {
    const records = await collect(reader.rows(request));
    expect(records.map(content)).toEqual(CSV_ROWS.map((values, i) => ({ row: i + 1, values })));
    expect(records.at(-1)?.checkpoint).toEqual({ offset: CSV.length, row: 4, header: ['phone', 'name', 'note'] });
    // Each checkpoint's offset is the start of the next row's bytes.
    expect(CSV.subarray(records[1]!.checkpoint.offset).toString()).toMatch(/^\+33612345678,"Zoë/);
  });

  it('resumes from the checkpoint after any row: no row skipped, none read twice', async () => {
    const whole = (await collect(reader.rows(request))).map(content);
    for (let n = 0; n <= CSV_ROWS.length; n++) expect((await readInTwo(request, n)).map(content), `after ${n} rows`).toEqual(whole);
  });

  it('reads the same rows however the bytes are split into chunks (mid-character, between \\r and \\n, at a row end)', async () => {
    const whole = await collect(csvRecords(Readable.from([CSV]), { offset: 0, row: 0 }));
    for (let split = 1; split < CSV.length; split++) {
      const chunks = Readable.from([CSV.subarray(0, split), CSV.subarray(split)]);
      expect(await collect(csvRecords(chunks, { offset: 0, row: 0 })), `split at byte ${split}`).toEqual(whole);
    }
  });

  it('gives a row with the wrong number of fields a problem, under its number', async () => {
    const key = 'fields.csv';
    const records = await collect(reader.rows({ ...request, key, etag: await put(key, 'phone,name\n+4915112345678\n+4915112345679,b\n') }));
    expect(records.map(content)).toEqual([
      { row: 1, problem: '1 field where the header has 2' },
      { row: 2, values: { phone: '+4915112345679', name: 'b' } },
    ]);
  });

  it('fails on an unclosed quote naming the row, rather than hang', async () => {
    const key = 'unclosed.csv';
    const etagOfBad = await put(key, 'phone,name\n+4915112345678,a\n+4915112345679,"b\n+4915112345670,c\n');
    const read = collect(reader.rows({ ...request, key, etag: etagOfBad }));
    await expect(read).rejects.toThrow(AudienceMalformed);
    await expect(read).rejects.toThrow(/row 2 \(from byte 28\).*Quote Not Closed/);
  });
});

describe('reading a JSON Lines audience', async () => {
  const etag = await put('audience.jsonl', JSONL);
  const request: AudienceReadRequest = { bucket, key: 'audience.jsonl', format: 'jsonl', etag };

  it('reads objects as written, and names the lines that are not JSON objects as problems', async () => {
    expect((await collect(reader.rows(request))).map(content)).toEqual([
      { row: 1, values: { phone: 4915112345678, name: 'Jürgen' } },
      { row: 2, problem: 'not a JSON object' },
      { row: 3, values: { phone: '+819012345678', name: '日本 🎉', score: 1.5 } },
      { row: 4, problem: expect.stringMatching(/^not JSON: /) },
      { row: 5, values: { phone: '+33612345678' } },
    ]);
  });

  it('resumes from the checkpoint after any row', async () => {
    const whole = (await collect(reader.rows(request))).map(content);
    for (let n = 0; n <= whole.length; n++) expect((await readInTwo(request, n)).map(content), `after ${n} rows`).toEqual(whole);
  });

  it('reads the same rows however the bytes are split into chunks', async () => {
    const whole = await collect(jsonLinesRecords(Readable.from([JSONL]), { offset: 0, row: 0 }));
    for (let split = 1; split < JSONL.length; split++) {
      const chunks = Readable.from([JSONL.subarray(0, split), JSONL.subarray(split)]);
      expect(await collect(jsonLinesRecords(chunks, { offset: 0, row: 0 })), `split at byte ${split}`).toEqual(whole);
    }
  });
});

describe('when the audience is not the one the campaign launched with', () => {
  it('fails with AudienceChanged once the object was put again, from the start, a checkpoint or the end', async () => {
    const key = 'changing.csv';
    const etag = await put(key, CSV);
    const request: AudienceReadRequest = { bucket, key, format: 'csv', etag };
    const [first] = await collect(reader.rows(request), 1);
    const all = await collect(reader.rows(request));
    await put(key, Buffer.concat([CSV, Buffer.from('\r\n+4915100000001,new,row')]));

    await expect(collect(reader.rows(request))).rejects.toThrow(AudienceChanged);
    await expect(collect(reader.rows({ ...request, from: first!.checkpoint }))).rejects.toThrow(AudienceChanged);
    await expect(collect(reader.rows({ ...request, from: all.at(-1)!.checkpoint }))).rejects.toThrow(AudienceChanged);
  });

  it('fails with AudienceNotFound when the object or the bucket is missing', async () => {
    const request: AudienceReadRequest = { bucket, key: 'nobody.csv', format: 'csv', etag: '"0"' };
    await expect(reader.describe(request)).rejects.toThrow(AudienceNotFound);
    await expect(collect(reader.rows(request))).rejects.toThrow(/s3:\/\/audience-\w+\/nobody\.csv does not exist/);
    await expect(collect(reader.rows({ ...request, bucket: `${bucket}-gone` }))).rejects.toThrow(AudienceNotFound);
  });
});

it('stops when its signal is aborted, with the reason', async () => {
  const etag = await put('abort.csv', CSV);
  const controller = new AbortController();
  const rows = reader.rows({ bucket, key: 'abort.csv', format: 'csv', etag, signal: controller.signal });
  const read = (async () => {
    for await (const _ of rows) controller.abort(new Error('time is up'));
  })();
  await expect(read).rejects.toThrow('time is up');
});

/** A full collection, so a measurement counts what is still held, not garbage not yet collected. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** What the process holds on the heap and in buffers, after a collection and a moment for V8 to release buffers' memory. */
async function retainedBytes(): Promise<number> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

it('streams a 200,000-row file with memory growing by far less than its size', async () => {
  const rows = 200_000;
  await collect(reader.rows({ bucket, key: 'audience.csv', format: 'csv', etag: await put('audience.csv', CSV) }));
  // Measured after a first read (the SDK's lazily loaded parts) and before the file exists:
  // whatever of the file stays referenced counts as growth.
  const before = await retainedBytes();
  const { etag, size } = await putLargeCsv('large.csv', rows);
  let peak = before;
  let count = 0;
  let last: AudienceRecord | undefined;
  for await (const record of reader.rows({ bucket, key: 'large.csv', format: 'csv', etag })) {
    count += 1;
    last = record;
    if (count % 20_000 === 0) peak = Math.max(peak, await retainedBytes());
  }
  expect(count).toBe(rows);
  expect(last).toMatchObject({ row: rows, values: { phone: '+4915100199999', street: 'Straße 99' } });
  expect(size).toBeGreaterThan(25_000_000);
  expect(peak - before).toBeLessThan(size / 8);
});

/**
 * A generated CSV of `rows` rows (about 150 bytes each), put in parts of 40,000 rows (S3's parts
 * but the last must have 5 MiB) and let go of, so that only the reader could hold it.
 */
async function putLargeCsv(key: string, rows: number): Promise<{ etag: string; size: number }> {
  const note = 'ü'.repeat(20) + 'x'.repeat(70);
  const line = (i: number) => `+49151${String(i).padStart(8, '0')},Name ${i},Straße ${i % 100},${note}\n`;
  const { UploadId } = await clients.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts: CompletedPart[] = [];
  let size = 0;
  for (let first = 0; first < rows; first += 40_000) {
    const lines = Array.from({ length: Math.min(40_000, rows - first) }, (_, i) => line(first + i));
    const body = Buffer.from((first === 0 ? 'phone,name,street,note\n' : '') + lines.join(''));
    const PartNumber = parts.length + 1;
    const { ETag } = await clients.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: body }));
    parts.push({ ETag, PartNumber });
    size += body.length;
  }
  const done = await clients.s3.send(
    new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
  );
  return { etag: done.ETag!, size };
}
