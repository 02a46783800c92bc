import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

/** S3's smallest part of a multipart upload (all but the last). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export interface UploadTarget {
  bucket: string;
  key: string;
  contentType: string;
}

/**
 * Writes one S3 object from text appended piece by piece, holding at most one part in memory:
 * a single PutObject when the whole is smaller than a part, a multipart upload otherwise.
 * (`@aws-sdk/lib-storage` does this too, but it is not one of the sender's dependencies.)
 */
export class ChunkedUpload {
  private readonly s3: S3Client;
  private readonly target: UploadTarget;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];

  constructor(s3: S3Client, target: UploadTarget) {
    this.s3 = s3;
    this.target = target;
  }

  async write(text: string): Promise<void> {
    const chunk = Buffer.from(text, 'utf8');
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= MIN_PART_BYTES) await this.uploadPart();
  }

  async finish(): Promise<void> {
    const { bucket, key, contentType } = this.target;
    if (this.uploadId === undefined) {
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.concat(this.chunks), ContentType: contentType }));
      return;
    }
    if (this.bytes > 0) await this.uploadPart();
    await this.s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }),
    );
  }

  /** Drops an unfinished multipart upload, whose parts S3 would otherwise keep (and bill). */
  async abort(): Promise<void> {
    if (this.uploadId === undefined) return;
    const { bucket, key } = this.target;
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId }));
    this.uploadId = undefined;
  }

  private async uploadPart(): Promise<void> {
    const { bucket, key, contentType } = this.target;
    if (this.uploadId === undefined) {
      const created = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }));
      this.uploadId = created.UploadId;
    }
    const PartNumber = this.parts.length + 1;
    const body = Buffer.concat(this.chunks);
    this.chunks = [];
    this.bytes = 0;
    const { ETag } = await this.s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId, PartNumber, Body: body }),
    );
    this.parts.push({ ETag, PartNumber });
  }
}
