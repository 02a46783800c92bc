import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { MetaStatus } from '../domain/webhook-events.ts';
import { isRecordError } from '../errors.ts';
import { BatchTally } from '../jobs/batch-tally.ts';
import { applyParsedEvent, type ParsedWebhookEvent, parseWebhookEvent } from './apply-event.ts';
import { applyStatuses } from './apply-status.ts';
import type { StatusDeps, StatusRuntime } from './context.ts';

/**
 * One invocation of the status function: the statuses for each message (wamid) together, every
 * other webhook event on its own. The campaign counts that follow from job changes come from the
 * jobs table's stream (`count-job-changes.ts`); what else the batch counts is written once per
 * campaign at its end.
 */
export async function statusBatch(event: SQSEvent, context: Context, runtime: StatusRuntime): Promise<SQSBatchResponse> {
  const tally = new BatchTally();
  tally.metric('WebhookEventsReceived', event.Records.length);
  const work = workByRecord(event.Records, runtime, tally);
  const processor = new BatchProcessor(EventType.SQS);
  const response = await processPartialResponse(
    event,
    (record: SQSRecord) => applyOne(record, work.get(record.messageId)!, runtime, tally),
    processor,
    {
      context,
      throwOnFullBatchFailure: false,
    },
  );
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
    if (!isRecordError(error)) throw error;
    switch (error.intent) {
      case 'dead-letter':
        await runtime.statusQueue.deadLetter(record.body, error.message, record.messageId);
        runtime.logger.warn('webhook event dead-lettered', { reason: error.message, messageId: record.messageId });
        if (error.metric) tally.metric(error.metric);
        return;
      case 'hand-back-later': {
        const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
        await runtime.statusQueue.retryLater(record.receiptHandle, error.delaySeconds({ receiveCount, random: runtime.random }));
        if (error.metric) tally.metric(error.metric);
        throw error;
      }
      case 'hand-back':
        throw error;
    }
  }
}
