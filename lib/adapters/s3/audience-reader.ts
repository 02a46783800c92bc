import { addAbortSignal, type Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type {
  AudienceCheckpoint,
  AudienceObject,
  AudienceReadRequest,
  AudienceRecord,
  AudienceSource,
  AudienceVersion,
} from '../../ports/audience-source.ts';
import { csvRecords } from './csv-records.ts';
import { jsonLinesRecords } from './json-lines-records.ts';
import { audienceFailure, httpStatusOf } from './s3-failures.ts';

const START: AudienceCheckpoint = { offset: 0, row: 0 };

/**
 * The campaign's audience read from S3 as a stream: one ranged GET from the checkpoint's byte to
 * the end, conditional on the ETag the campaign launched with (`If-Match`), parsed as it arrives.
 * The S3 client is the caller's (the feeder's wiring), not `createAwsClients()`'s, so other
 * functions' bundles do not carry S3.
 */
export function createAudienceReader(s3: S3Client): AudienceSource {
  return {
    describe: (object) => describeAudience(s3, object),
    rows: (request) => readRows(s3, request),
  };
}

async function describeAudience(s3: S3Client, object: AudienceObject): Promise<AudienceVersion> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: object.bucket, Key: object.key }));
    if (!head.ETag || head.ContentLength === undefined)
      throw new Error(`S3 described s3://${object.bucket}/${object.key} without ETag or size`);
    return { etag: head.ETag, size: head.ContentLength };
  } catch (error) {
    throw audienceFailure(error, object);
  }
}

async function* readRows(s3: S3Client, request: AudienceReadRequest): AsyncGenerator<AudienceRecord> {
  const from = request.from ?? START;
  const body = await openFrom(s3, { ...request, from });
  if (!body) return;
  if (request.signal) addAbortSignal(request.signal, body);
  const records = request.format === 'csv' ? csvRecords(body, from) : jsonLinesRecords(body, from);
  try {
    for await (const record of records) {
      // Rows already parsed and buffered must not outlive the signal either.
      request.signal?.throwIfAborted();
      yield record;
    }
  } catch (error) {
    request.signal?.throwIfAborted();
    throw audienceFailure(error, request);
  } finally {
    body.destroy();
  }
}

/**
 * The object's bytes from the checkpoint on, or nothing when the checkpoint is at its end (S3
 * answers a range that starts at the size with 416; a HEAD conditional on the ETag then tells
 * the end of an unchanged file from a file that changed and shrank).
 */
async function openFrom(s3: S3Client, request: AudienceReadRequest & { from: AudienceCheckpoint }): Promise<Readable | undefined> {
  const { bucket, key, etag, from, signal } = request;
  const range = from.offset > 0 ? { Range: `bytes=${from.offset}-` } : {};
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag, ...range }), { abortSignal: signal });
    return object.Body as Readable;
  } catch (error) {
    if (httpStatusOf(error) !== 416) throw audienceFailure(error, request);
  }
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }), { abortSignal: signal });
    return undefined;
  } catch (error) {
    throw audienceFailure(error, request);
  }
}
