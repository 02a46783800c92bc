import type { AudienceRow } from '../domain/audience-row.ts';
import type { Campaign } from '../domain/campaign-contract.ts';

/** Where a campaign's audience file is: an S3 object. */
export interface AudienceObject {
  bucket: string;
  key: string;
}

/** The version of the audience file a campaign feeds from, taken once at launch. */
export interface AudienceVersion {
  /** The object's ETag as S3 returns it (quoted); every later read is conditional on it. */
  etag: string;
  /** The object's size in bytes. */
  size: number;
}

/**
 * Where a read stopped, so the next one resumes exactly there: no row skipped, none read twice.
 * Stored by the feeder next to the audience's ETag after every row it has handed on.
 */
export interface AudienceCheckpoint {
  /** The byte offset in the object where the next row starts. */
  offset: number;
  /** How many rows were read so far (the header is not a row). */
  row: number;
  /** The CSV header's columns, so a resume in the middle of the file need not read the header again. */
  header?: readonly string[];
}

/**
 * One row of the audience, numbered from 1 (the header not counted), with the checkpoint that
 * resumes after it. A row that cannot be read as values (a JSON Lines line that is not a JSON
 * object, a CSV record with more or fewer fields than the header) comes with a `problem`
 * instead, so the feeder can put it in the rejection report under its number and go on.
 */
export type AudienceRecord =
  | { row: number; values: AudienceRow; problem?: never; checkpoint: AudienceCheckpoint }
  | { row: number; values?: never; problem: string; checkpoint: AudienceCheckpoint };

/** What to read: one version of the audience file, from the start or from a checkpoint. */
export interface AudienceReadRequest extends AudienceObject {
  format: Campaign['audience']['format'];
  /** The ETag `describe` returned at launch: a read of any other version fails with `AudienceChanged`. */
  etag: string;
  /** Resume after this checkpoint; by default, read from the first row. */
  from?: AudienceCheckpoint | undefined;
  /** Stops the read (the feeder's time is up); the iteration then throws the signal's reason. */
  signal?: AbortSignal | undefined;
}

/**
 * The campaign's audience file, streamed row by row, never read whole into memory (adapter:
 * `lib/adapters/s3/audience-reader.ts`). The feeder pulls rows at its own pace: nothing is read
 * ahead of what it consumes beyond a stream buffer.
 *
 * Failures (from `lib/errors.ts`): `AudienceNotFound` (no such object or bucket),
 * `AudienceChanged` (the object is no longer the version the campaign launched with),
 * `AudienceMalformed` (a CSV that cannot be parsed past a row, e.g. an unclosed quote; it names the row).
 */
export interface AudienceSource {
  /** The file's current version, taken when a campaign launches. */
  describe(object: AudienceObject): Promise<AudienceVersion>;
  /** The rows after `from` (or all), in file order. Breaking out of the loop ends the download. */
  rows(request: AudienceReadRequest): AsyncIterable<AudienceRecord>;
}
