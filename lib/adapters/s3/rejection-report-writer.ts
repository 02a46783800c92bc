import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { REJECTION_REPORT_HEADER } from '../../domain/rejection-report.ts';
import type { RejectionPart, RejectionSink, ReportedCampaign } from '../../ports/rejection-sink.ts';
import { ChunkedUpload } from './chunked-upload.ts';
import { httpStatusOf } from './s3-failures.ts';

const CSV = 'text/csv; charset=utf-8';
/** DeleteObjects takes at most 1,000 keys. */
const DELETE_BATCH = 1_000;

/** Where a part of the report sits: beside the audience, named by its first row (padded, so keys sort in row order). */
export function rejectionPartKey(audienceKey: string, firstRow: number): string {
  return `${audienceKey}.rejections/${String(firstRow).padStart(10, '0')}.csv`;
}

/** Where the merged report sits: beside the audience. */
export function rejectionReportKey(audienceKey: string): string {
  return `${audienceKey}.rejections.csv`;
}

/** The campaign's rejection report on S3, in the audience's bucket. */
export function createRejectionReportWriter(s3: S3Client): RejectionSink {
  return {
    writePart: (part) => writePart(s3, part),
    merge: ({ campaign, parts }) => merge(s3, campaign, parts),
  };
}

async function writePart(s3: S3Client, { campaign, firstRow, lines }: RejectionPart): Promise<string> {
  const { bucket, key } = campaign.audience;
  const partKey = rejectionPartKey(key, firstRow);
  const body = lines.map((line) => `${line}\n`).join('');
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: partKey, Body: body, ContentType: CSV }));
  return partKey;
}

/**
 * Streams the parts, in key order, into one object: the header, then each row's line once. A part
 * written again after a crash may hold rows the next part holds too; lines are in row order, so a
 * line whose row is not after the last one written is such a repeat and is dropped.
 */
async function merge(s3: S3Client, campaign: ReportedCampaign, parts: readonly string[]): Promise<string> {
  const { bucket, key } = campaign.audience;
  const reportKey = rejectionReportKey(key);
  const upload = new ChunkedUpload(s3, { bucket, key: reportKey, contentType: CSV });
  try {
    await upload.write(`${REJECTION_REPORT_HEADER}\n`);
    let lastRow = 0;
    for (const part of [...parts].sort()) {
      const body = await openPart(s3, bucket, part);
      if (!body) return await mergedBefore(s3, { bucket, reportKey, parts, upload, missing: part });
      lastRow = await copyNewRows(body, upload, lastRow);
    }
    await upload.finish();
  } catch (error) {
    await upload.abort();
    throw error;
  }
  await deleteKeys(s3, bucket, parts);
  return reportKey;
}

async function copyNewRows(body: Readable, upload: ChunkedUpload, after: number): Promise<number> {
  let lastRow = after;
  for await (const line of createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY })) {
    const row = Number.parseInt(line, 10);
    if (!(row > lastRow)) continue;
    lastRow = row;
    await upload.write(`${line}\n`);
  }
  return lastRow;
}

async function openPart(s3: S3Client, bucket: string, key: string): Promise<Readable | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return object.Body as Readable;
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    throw error;
  }
}

/**
 * A part is gone. Parts are deleted only once the report holding them was written, so when the
 * report exists an earlier merge completed (its caller stopped before recording it): that report
 * stands, and the parts it left are deleted. Without a report, lines were lost: say so.
 */
async function mergedBefore(
  s3: S3Client,
  {
    bucket,
    reportKey,
    parts,
    upload,
    missing,
  }: { bucket: string; reportKey: string; parts: readonly string[]; upload: ChunkedUpload; missing: string },
): Promise<string> {
  await upload.abort();
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: reportKey }));
  } catch (error) {
    if (httpStatusOf(error) === 404)
      throw new Error(`rejection report part s3://${bucket}/${missing} is missing and no report was merged before`, { cause: error });
    throw error;
  }
  await deleteKeys(s3, bucket, parts);
  return reportKey;
}

async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const Objects = keys.slice(i, i + DELETE_BATCH).map((Key) => ({ Key }));
    const { Errors } = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
    if (Errors && Errors.length > 0)
      throw new Error(`${Errors.length} rejection report parts could not be deleted: ${Errors[0]?.Message ?? ''}`);
  }
}
