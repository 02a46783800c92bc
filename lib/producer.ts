import { type SQSClient, SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { RecipientPolicy } from './domain/phone.ts';
import { contractOf, type Rejection, type ValidJob, validateJob } from './domain/validate-job.ts';

/** SQS's limit on one message; a job is far smaller, so a larger one is a producer bug. */
const MAX_MESSAGE_BYTES = 256 * 1024;
const BATCH_SIZE = 10;
const MAX_BATCH_TRIES = 5;

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

/**
 * Sends prepared jobs in batches of 10 (SQS's maximum). Entries SQS reports as failed are
 * retried with backoff; what still fails is returned, never silently dropped.
 */
export async function enqueuePrepared(sqs: SQSClient, queueUrl: string, jobs: PreparedJobs['valid'], concurrency = 4): Promise<EnqueueReport> {
  const report: EnqueueReport = { enqueued: 0, failed: [] };
  const batches: Array<PreparedJobs['valid']> = [];
  for (let i = 0; i < jobs.length; i += BATCH_SIZE) batches.push(jobs.slice(i, i + BATCH_SIZE));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      await sendBatchWithRetries(sqs, queueUrl, batch, report);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  return report;
}

async function sendBatchWithRetries(sqs: SQSClient, queueUrl: string, batch: PreparedJobs['valid'], report: EnqueueReport): Promise<void> {
  let pending = batch;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const entries: SendMessageBatchRequestEntry[] = pending.map((job) => ({ Id: String(job.index), MessageBody: job.body }));
    let failedIds: Map<string, string>;
    try {
      const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      failedIds = new Map((result.Failed ?? []).map((f) => [f.Id ?? '', `${f.Code}: ${f.Message ?? ''}`]));
    } catch (error) {
      failedIds = new Map(pending.map((job) => [String(job.index), (error as Error).message]));
    }
    report.enqueued += pending.length - failedIds.size;
    const retry = pending.filter((job) => failedIds.has(String(job.index)));
    if (attempt >= MAX_BATCH_TRIES) {
      for (const job of retry) report.failed.push({ index: job.index, error: failedIds.get(String(job.index)) ?? 'unknown error' });
      return;
    }
    pending = retry;
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
  }
}
