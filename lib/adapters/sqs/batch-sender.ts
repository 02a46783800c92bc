import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';

const BATCH_SIZE = 10;
const MAX_BATCH_TRIES = 5;

export interface BatchSendReport {
  sent: number;
  /** Entries SQS refused even after retries; `index` is the body's position in the input. */
  failed: Array<{ index: number; error: string }>;
}

/**
 * Sends message bodies in batches of 10 (SQS's maximum), `concurrency` batches at a time.
 * Entries SQS reports as failed are retried with backoff; what still fails is returned,
 * never silently dropped. A batch whose call failed outright may have been stored anyway,
 * so consumers must tolerate duplicates (every consumer here does).
 */
export async function sendInBatches(
  sqs: SQSClient,
  queueUrl: string,
  bodies: ReadonlyArray<{ index: number; body: string }>,
  concurrency = 4,
): Promise<BatchSendReport> {
  const report: BatchSendReport = { sent: 0, failed: [] };
  const batches: Array<Array<{ index: number; body: string }>> = [];
  for (let i = 0; i < bodies.length; i += BATCH_SIZE) batches.push(bodies.slice(i, i + BATCH_SIZE));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await sendBatchWithRetries(sqs, queueUrl, batches[next++]!, report);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  return report;
}

async function sendBatchWithRetries(
  sqs: SQSClient,
  queueUrl: string,
  batch: Array<{ index: number; body: string }>,
  report: BatchSendReport,
): Promise<void> {
  let pending = batch;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const entries: SendMessageBatchRequestEntry[] = pending.map((item) => ({ Id: String(item.index), MessageBody: item.body }));
    let failedIds: Map<string, string>;
    try {
      const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      failedIds = new Map((result.Failed ?? []).map((f) => [f.Id ?? '', `${f.Code}: ${f.Message ?? ''}`]));
    } catch (error) {
      failedIds = new Map(pending.map((item) => [String(item.index), (error as Error).message]));
    }
    report.sent += pending.length - failedIds.size;
    const retry = pending.filter((item) => failedIds.has(String(item.index)));
    if (attempt >= MAX_BATCH_TRIES) {
      for (const item of retry) report.failed.push({ index: item.index, error: failedIds.get(String(item.index)) ?? 'unknown error' });
      return;
    }
    pending = retry;
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
  }
}
