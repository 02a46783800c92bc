/**
 * The feed scenario's audience: a CSV of distinct German mobile numbers (+49151 and 8 digits) with
 * a first name, generated in chunks and uploaded with a multipart upload, so a million rows
 * (about 36 MB) are never held whole.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

/** The audience's columns: the recipient, and the value of the template's one body parameter. */
export const AUDIENCE_COLUMNS = { recipient: 'phone', bodyParameter: 'first_name' } as const;

/** S3 takes parts of at least 5 MB (the last one excepted). */
const PART_BYTES = 8 * 1024 * 1024;

/** Row `i` (from 0) of the audience. */
export function audienceLine(i: number): string {
  return `+49151${String(i).padStart(8, '0')},Customer ${i + 1}`;
}

/** The CSV, header first, in chunks of about `chunkBytes`: each chunk ends with a whole line. */
export function* audienceChunks(rows: number, chunkBytes = PART_BYTES): Generator<string> {
  if (rows > 100_000_000) throw new RangeError('at most 100,000,000 distinct +49151 numbers');
  let lines: string[] = [`${AUDIENCE_COLUMNS.recipient},${AUDIENCE_COLUMNS.bodyParameter}`];
  let bytes = lines[0]!.length + 1;
  for (let i = 0; i < rows; i++) {
    const line = audienceLine(i);
    lines.push(line);
    bytes += line.length + 1;
    if (bytes >= chunkBytes) {
      yield `${lines.join('\n')}\n`;
      lines = [];
      bytes = 0;
    }
  }
  if (lines.length > 0) yield `${lines.join('\n')}\n`;
}

/** Uploads an audience of `rows` rows to `bucket`/`key`; its size in bytes. Aborts the upload on a failure. */
export async function uploadAudience(s3: S3Client, object: { bucket: string; key: string; rows: number }): Promise<number> {
  const { bucket, key } = object;
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'text/csv' }));
  try {
    const parts: Array<{ ETag: string; PartNumber: number }> = [];
    let bytes = 0;
    for (const chunk of audienceChunks(object.rows)) {
      const body = Buffer.from(chunk);
      const PartNumber = parts.length + 1;
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: body }));
      parts.push({ ETag: ETag!, PartNumber });
      bytes += body.length;
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    return bytes;
  } catch (error) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw error;
  }
}
