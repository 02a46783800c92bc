import type { SQSClient } from '@aws-sdk/client-sqs';
import { sendInBatches } from './adapters/sqs/batch-sender.ts';
import type { RecipientPolicy } from './domain/phone.ts';
import { contractOf, type JobValidation, type Rejection, type ValidJob, validateJob, validateJobBody } from './domain/validate-job.ts';

export interface PreparedJobs {
  valid: Array<{ index: number; body: string }>;
  rejected: Array<{ index: number; rejection: Rejection }>;
}

/**
 * Validates jobs exactly as the send function will, normalises recipients to E.164 and stamps
 * `createdAt` (the validity counts from it). Pure: nothing is sent. The contract bounds a job's
 * size (docs/limits.md#job-sizes), so every valid job fits one SQS message.
 */
export function prepareJobs(jobs: readonly unknown[], policy: RecipientPolicy, now: number = Date.now()): PreparedJobs {
  return prepared(
    jobs.map((raw) => validateJob(raw, policy)),
    now,
  );
}

/**
 * As `prepareJobs`, for jobs given as text (one JSON job each, as a queue message body holds it):
 * each is refused with the very reason and detail the send function would give the same body.
 */
export function prepareJobBodies(bodies: readonly string[], policy: RecipientPolicy, now: number = Date.now()): PreparedJobs {
  return prepared(
    bodies.map((body) => validateJobBody(body, policy)),
    now,
  );
}

function prepared(validations: readonly JobValidation[], now: number): PreparedJobs {
  const result: PreparedJobs = { valid: [], rejected: [] };
  validations.forEach((validation, index) => {
    if (validation.ok) result.valid.push({ index, body: jobBody(validation.job, now) });
    else result.rejected.push({ index, rejection: validation.rejection });
  });
  return result;
}

function jobBody(job: ValidJob, now: number): string {
  return JSON.stringify({ ...contractOf(job), createdAt: job.createdAt ?? new Date(now).toISOString() });
}

export interface EnqueueReport {
  enqueued: number;
  /** Entries SQS refused even after retries; `index` is the job's position in the input. */
  failed: Array<{ index: number; error: string }>;
}

/** Sends prepared jobs in batches of 10; what SQS refuses after retries is returned, never dropped. */
export async function enqueuePrepared(
  sqs: SQSClient,
  queueUrl: string,
  jobs: PreparedJobs['valid'],
  concurrency = 4,
): Promise<EnqueueReport> {
  const report = await sendInBatches(sqs, queueUrl, jobs, concurrency);
  return { enqueued: report.sent, failed: report.failed };
}
