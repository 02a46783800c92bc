import type { SQSClient } from '@aws-sdk/client-sqs';
import { sendInBatches } from './adapters/sqs/batch-sender.ts';
import type { RecipientPolicy } from './domain/phone.ts';
import { contractOf, type Rejection, type ValidJob, validateJob } from './domain/validate-job.ts';

/** SQS's limit on one message; a job is far smaller, so a larger one is a producer bug. */
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface PreparedJobs {
  valid: Array<{ index: number; body: string }>;
  rejected: Array<{ index: number; rejection: Rejection }>;
}

/**
 * Validates jobs exactly as the send function will, normalises recipients to E.164 and stamps
 * `createdAt` (the validity counts from it). Pure: nothing is sent.
 */
export function prepareJobs(jobs: readonly unknown[], policy: RecipientPolicy, now: number = Date.now()): PreparedJobs {
  const prepared: PreparedJobs = { valid: [], rejected: [] };
  jobs.forEach((raw, index) => {
    const result = validateJob(raw, policy);
    if (!result.ok) {
      prepared.rejected.push({ index, rejection: result.rejection });
      return;
    }
    const body = jobBody(result.job, now);
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
      prepared.rejected.push({ index, rejection: { reason: 'schema_violation', detail: 'job is larger than an SQS message (256 KiB)' } });
      return;
    }
    prepared.valid.push({ index, body });
  });
  return prepared;
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
