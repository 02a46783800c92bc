/**
 * The errors a record's processing may end with, grouped by what the batch loop does with the
 * record (its intent), so every loop switches on `intent` instead of testing classes one by one:
 *
 * - `hand-back`: the record goes back to its queue untouched and comes again after the
 *   visibility timeout (or, for a parked deferred job, the visibility the release chose);
 * - `hand-back-later`: the record's visibility is first set to `delaySeconds(...)`, so a record
 *   that needs time, not hammering, comes back later;
 * - `dead-letter`: no retry can fix the record; it goes to the queue's DLQ with `reason`.
 *
 * Any other thrown error is unexpected and also hands the record back (SQS's redrive policy then
 * moves it to the DLQ after `maxReceiveCount`). Every class takes `ErrorOptions`, so `cause`
 * survives to the logs.
 */
export type ErrorIntent = 'hand-back' | 'hand-back-later' | 'dead-letter';

/** Tells the errors a batch loop knows how to handle (narrowed by `intent`) from unexpected ones. */
export function isRecordError(error: unknown): error is HandBack | HandBackLater | DeadLetter {
  return error instanceof RecordError;
}

/** Base of the errors a batch loop knows how to handle. */
export abstract class RecordError extends Error {
  abstract readonly intent: ErrorIntent;
  /** The metric the batch counts for this error, if it is an expected outcome rather than a fault. */
  readonly metric: string | undefined = undefined;
}

/** The record goes back to its queue as it is. */
export abstract class HandBack extends RecordError {
  readonly intent = 'hand-back' as const;
}

/** What a record's delay may depend on. */
export interface RedeliveryContext {
  /** SQS's `ApproximateReceiveCount` of the record. */
  receiveCount: number;
  random: () => number;
}

/** The record goes back to its queue, hidden for `delaySeconds` first. */
export abstract class HandBackLater extends RecordError {
  readonly intent = 'hand-back-later' as const;
  abstract delaySeconds(context: RedeliveryContext): number;
}

/** The record can never be processed: it goes to the DLQ with this error's message as the reason. */
export abstract class DeadLetter extends RecordError {
  readonly intent = 'dead-letter' as const;
}

/** Send: the function's deadline is near, so the record was handed back before anything happened (no claim, no call). */
export class NotStarted extends HandBack {
  override name = 'NotStarted';
  override readonly metric = 'RecordsNotStarted';
}

/** Send: the job's claim belongs to this very message and is fresh: another copy is still sending it. */
export class ClaimInProgress extends HandBack {
  override name = 'ClaimInProgress';
}

/**
 * Send: an invalid job too large to be copied to the DLQ with its reason attached. The original
 * goes there intact through the queue's redrive policy; the reason is in the log line.
 */
export class TooLargeToDeadLetter extends HandBack {
  override name = 'TooLargeToDeadLetter';
}

/**
 * Send: a store refused what the job itself holds (DynamoDB: an item over 400 KB, or nested too
 * deeply), which the contract's bounds should have prevented. No redelivery can change that, so
 * the send path dead-letters the job with this message as its detail instead of handing it back.
 */
export class UnstorableJob extends DeadLetter {
  override name = 'UnstorableJob';
}

/** Release: the deferred job is not due; its visibility was set to hide it until nearly due. */
export class ParkedUntilDue extends HandBack {
  override name = 'ParkedUntilDue';
}

/**
 * Status: a status for a wamid not recorded yet (usually the send function has not written it
 * yet): retried later, each time after a longer wait, never dropped. After the queue's
 * `maxReceiveCount` it goes to the status DLQ for a look.
 */
export class WamidNotFound extends HandBackLater {
  override name = 'WamidNotFound';
  override readonly metric = 'StatusesForUnknownWamid';
  delaySeconds({ receiveCount }: RedeliveryContext): number {
    const receives = receiveCount >= 1 ? receiveCount : 1;
    return Math.min(900, 5 * 2 ** (receives - 1));
  }
}

/** Status: statuses for one job arrived together and kept winning the race; try again a little later. */
export class JobKeptChanging extends HandBackLater {
  override name = 'JobKeptChanging';
  override readonly metric = 'StatusConflicts';
  delaySeconds({ random }: RedeliveryContext): number {
    return 2 + Math.floor(random() * 5);
  }
}

/** Status: a webhook event no retry can make valid. */
export class InvalidWebhookEvent extends DeadLetter {
  override name = 'InvalidWebhookEvent';
  override readonly metric = 'InvalidWebhookEvents';
}

/** Thrown at cold start when the environment is incomplete: the message lists every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Campaign feeder: the audience object is no longer the version the campaign launched with (S3
 * answered 412 to a read conditional on its ETag). Feeding on would mix two files' rows, so the
 * campaign fails with this reason until an operator restores the file or starts a new campaign.
 * Not a record error: it ends the feeder's run, not one message.
 */
export class AudienceChanged extends Error {
  override name = 'AudienceChanged';
}

/** Campaign feeder: the audience object (or its bucket) does not exist, or this role may not read it. */
export class AudienceNotFound extends Error {
  override name = 'AudienceNotFound';
}

/**
 * Campaign feeder: the audience file cannot be parsed past a row (a CSV quote never closed, a
 * stray quote, a line too long). The message names the row, counted from 1 without the header,
 * and the byte offset where it starts, so whoever fixes the file finds it.
 */
export class AudienceMalformed extends Error {
  override name = 'AudienceMalformed';
}
