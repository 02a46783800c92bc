import { AudienceChanged, AudienceNotFound } from '../../errors.ts';
import type { AudienceObject } from '../../ports/audience-source.ts';

/** The HTTP status of an S3 error from the AWS SDK, if it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/**
 * The audience reader's typed error for an S3 failure it knows: 412 (the ETag no longer matches)
 * and 404 or 403 (nothing to read there, or not for this role). Anything else is returned as it
 * came: a network fault or throttling is the feeder's to retry from its checkpoint.
 */
export function audienceFailure(error: unknown, { bucket, key }: AudienceObject): unknown {
  const status = httpStatusOf(error);
  const where = `s3://${bucket}/${key}`;
  if (status === 412)
    return new AudienceChanged(`The audience ${where} changed since the campaign launched (its ETag no longer matches)`, { cause: error });
  if (status === 404) return new AudienceNotFound(`The audience ${where} does not exist`, { cause: error });
  if (status === 403) return new AudienceNotFound(`The audience ${where} may not be read (access denied)`, { cause: error });
  return error;
}
