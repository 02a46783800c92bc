import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { CampaignCounters } from '../adapters/campaign-counters.ts';
import type { MetaStatus } from '../domain/webhook-events.ts';
import { BatchTally } from '../send/batch-tally.ts';
import { applyParsedEvent, parseWebhookEvent } from './apply-event.ts';
import { applyStatuses } from './apply-status.ts';
import { InvalidWebhookEvent, JobKeptChanging, type StatusDeps, WamidNotFound } from './status-deps.ts';

export interface StatusRuntime extends StatusDeps {
  counters: CampaignCounters;
  metrics: Metrics;
  /** Hides a handed-back message for a while (a wamid not recorded yet needs time, not hammering). */
  retryLater(receiptHandle: string, seconds: number): Promise<void>;
  /** Moves a message that can never be applied to the status DLQ with its reason. */
  deadLetter(body: string, reason: string, messageId: string): Promise<void>;
}

/**
 * One invocation of the status function: the statuses for each message (wamid) together, every
 * other webhook event on its own, then the batch's counter deltas in one write per campaign.
 */
export async function statusBatch(event: SQSEvent, context: Context, runtime: StatusRuntime): Promise<SQSBatchResponse> {
  const tally = new BatchTally();
  tally.metric('WebhookEventsReceived', event.Records.length);
  const work = workByRecord(event.Records, runtime, tally);
  const processor = new BatchProcessor(EventType.SQS);
  const response = await processPartialResponse(event, (record: SQSRecord) => applyOne(record, work.get(record.messageId)!, runtime, tally), processor, {
    context,
    throwOnFullBatchFailure: false,
  });
  for (const [name, value] of tally.metrics) if (value > 0) runtime.metrics.addMetric(name, MetricUnit.Count, value);
  try {
    await runtime.counters.add(tally.byCampaign);
  } catch (error) {
    runtime.logger.error('campaign counters not updated', { error: error as Error });
    runtime.metrics.addMetric('CounterWriteFailures', MetricUnit.Count, 1);
  }
  return response;
}

type Work = () => Promise<void>;

/**
 * What each record of the batch waits for. Records that carry statuses for the same wamid
 * share one piece of work (Meta's sent, delivered and read often arrive within a second): one
 * job write for all of them, and if it fails, every one of them is handed back.
 */
function workByRecord(records: readonly SQSRecord[], deps: StatusDeps, tally: BatchTally): Map<string, Work> {
  const work = new Map<string, Work>();
  const statusesByWamid = new Map<string, MetaStatus[]>();
  const groupWork = new Map<string, Work>();
  for (const record of records) {
    let parsed: ReturnType<typeof parseWebhookEvent>;
    try {
      parsed = parseWebhookEvent(record);
    } catch (error) {
      work.set(record.messageId, () => Promise.reject(error));
      continue;
    }
    if (parsed.kind !== 'status') {
      work.set(record.messageId, () => applyParsedEvent(parsed, deps, tally));
      continue;
    }
    const wamid = parsed.status.id;
    const group = statusesByWamid.get(wamid);
    if (group) group.push(parsed.status);
    else {
      const statuses = [parsed.status];
      statusesByWamid.set(wamid, statuses);
      groupWork.set(wamid, once(() => applyStatuses(wamid, statuses, deps, tally)));
    }
    work.set(record.messageId, groupWork.get(wamid)!);
  }
  return work;
}

/** Runs `fn` the first time only; later callers share its promise (and its failure). */
function once(fn: Work): Work {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

async function applyOne(record: SQSRecord, work: Work, runtime: StatusRuntime, tally: BatchTally): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof InvalidWebhookEvent) {
      await runtime.deadLetter(record.body, error.message, record.messageId);
      runtime.logger.warn('webhook event dead-lettered', { reason: error.message, messageId: record.messageId });
      tally.metric('InvalidWebhookEvents');
      return;
    }
    if (error instanceof JobKeptChanging) {
      await runtime.retryLater(record.receiptHandle, 2 + Math.floor(Math.random() * 5));
      tally.metric('StatusConflicts');
    }
    if (error instanceof WamidNotFound) {
      // Usually the send function has not recorded the wamid yet (or the index lags): wait
      // longer each time; after the queue's maxReceiveCount it goes to the DLQ for a look.
      const receives = Number(record.attributes.ApproximateReceiveCount) || 1;
      await runtime.retryLater(record.receiptHandle, Math.min(900, 5 * 2 ** (receives - 1)));
      tally.metric('StatusesForUnknownWamid');
    }
    throw error;
  }
}
