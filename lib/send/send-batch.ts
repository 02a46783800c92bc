import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { CampaignCounters } from '../adapters/campaign-counters.ts';
import { BatchTally } from './batch-tally.ts';
import { validateJobBody } from '../domain/validate-job.ts';
import { type BatchContext, type SendDeps, sendRecord } from './send-record.ts';

export interface SendRuntime extends SendDeps {
  counters: CampaignCounters;
  metrics: Metrics;
}

/**
 * One invocation of the send function: every record on its own (one failure never fails the
 * others), then the batch's counters in one write per campaign. Records that threw are
 * reported as batch item failures and come back after the queue's visibility timeout.
 */
export async function sendBatch(event: SQSEvent, context: Context, runtime: SendRuntime): Promise<SQSBatchResponse> {
  // Without a token nothing can be sent: hand the whole batch back before claiming any job.
  await runtime.mmApi.warmUp();
  const tally = new BatchTally();
  tally.metric('RecordsReceived', event.Records.length);
  const contexts = await lookUpBatch(event.Records, runtime);
  const processor = new BatchProcessor(EventType.SQS);
  const response = await processPartialResponse(event, (record: SQSRecord) => sendRecord(record, contexts.get(record.messageId)!, runtime, tally), processor, {
    context,
    throwOnFullBatchFailure: false,
  });
  for (const [index, failure] of processor.failureMessages.entries()) {
    runtime.logger.error('record handed back to the queue', { messageId: (failure as SQSRecord).messageId, error: processor.errors[index] });
  }
  tally.metric('RecordsHandedBack', response.batchItemFailures.length);
  await flushTally(tally, runtime);
  return response;
}

/** Validates every record and reads all recipients' user records in one request. */
async function lookUpBatch(records: SQSRecord[], runtime: SendRuntime): Promise<Map<string, BatchContext>> {
  const validations = records.map((record) => [record.messageId, validateJobBody(record.body, runtime.config.recipientPolicy)] as const);
  const recipients = validations.flatMap(([, v]) => (v.ok ? [v.job.recipient] : []));
  const users = recipients.length > 0 ? await runtime.users.getMany(recipients) : new Map();
  return new Map(validations.map(([id, validation]) => [id, { validation, user: validation.ok ? users.get(validation.job.recipient) : undefined }]));
}

async function flushTally(tally: BatchTally, runtime: SendRuntime): Promise<void> {
  for (const [name, value] of tally.metrics) {
    if (value > 0) runtime.metrics.addMetric(name, MetricUnit.Count, value);
  }
  try {
    await runtime.counters.add(tally.byCampaign);
  } catch (error) {
    // Counters are reporting, not state: the job items stay the truth, so a failed counter
    // write must not send the batch round again (the claims would make it a no-op anyway).
    runtime.logger.error('campaign counters not updated', { error: error as Error, campaigns: [...tally.byCampaign.keys()] });
    runtime.metrics.addMetric('CounterWriteFailures', MetricUnit.Count, 1);
  }
}
