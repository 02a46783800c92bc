import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { CampaignCounters } from '../adapters/campaign-counters.ts';
import type { MetaStatus } from '../domain/webhook-events.ts';
import { BatchTally } from '../send/batch-tally.ts';
import { applyParsedEvent, type ParsedWebhookEvent, parseWebhookEvent } from './apply-event.ts';
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
  const groups = new Map<string, { statuses: MetaStatus[]; work: Work }>();
  for (const record of records) {
    let parsed: ParsedWebhookEvent;
    try {
      parsed = parseWebhookEvent(record);
    } catch (error) {
      work.set(record.messageId, () => Promise.reject(error));
      continue;
    }
    if (parsed.kind !== 'status') {
      const event = parsed;
      work.set(record.messageId, () => applyParsedEvent(event, deps, tally));
      continue;
    }
    const wamid = parsed.status.id;
    let group = groups.get(wamid);
    if (!group) {
      const statuses: MetaStatus[] = [];
      group = { statuses, work: once(() => applyStatuses(wamid, statuses, deps, tally)) };
      groups.set(wamid, group);
    }
    group.statuses.push(parsed.status);
    work.set(record.messageId, group.work);
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
      await runtime.retryLater(record.receiptHandle, 2 + Math.floor(runtime.random() * 5));
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
