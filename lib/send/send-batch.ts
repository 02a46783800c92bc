import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { validityDeadline } from '../domain/send-plan.ts';
import { validateJobBody } from '../domain/validate-job.ts';
import { accountOfNumber } from '../domain/whatsapp-accounts.ts';
import { RecordError } from '../errors.ts';
import { BatchTally } from '../jobs/batch-tally.ts';
import { jobKeyOf } from '../jobs/job-record.ts';
import type { Controls } from '../ports/control-store.ts';
import { deadlineBucketOf } from '../ports/open-deadlines.ts';
import { BatchPacing } from './batch-pacing.ts';
import type { BatchContext, PreparedRecord, SendRuntime } from './context.ts';
import { flushNumberMetrics } from './number-metrics.ts';
import { sendRecord } from './send-record.ts';
import { SlotDispenser } from './slot-dispenser.ts';

/** Time kept free at the end of an invocation for a started send and its bookkeeping. */
const DEADLINE_MARGIN_MS = 3_000;
/**
 * A batch's jobs wait for their send times (a block of 100 spans 1.3 s at 80/s): before each
 * claim the breakers are looked at again, re-read from the table when the batch's view is older
 * than this, so that a number another invocation stopped holds these jobs too. One read per
 * invocation and second at most.
 */
const CONTROLS_MAX_AGE_MS = 1_000;
/** Meta's pair rate: about one message per 6 s from one number to one user. */
const PAIR_SPACING_SECONDS = 6;

/**
 * One invocation of the send function: every record on its own (one failure never fails the
 * others), then the batch's per-batch counts (duplicate rows, rejections) in one write per
 * campaign; each job change wrote its own counts with it. Records that threw are
 * reported as batch item failures and come back after the queue's visibility timeout.
 *
 * Near the deadline (or when middy's early-timeout signal fires) no new send starts: those
 * records are handed back untouched, and the sends in flight finish within their timeout.
 */
export async function sendBatch(event: SQSEvent, context: Context, runtime: SendRuntime, signal?: AbortSignal): Promise<SQSBatchResponse> {
  // Without a token nothing can be sent: hand the whole batch back before claiming any job.
  await runtime.mmApi.warmUp();
  const tally = new BatchTally();
  tally.metric('RecordsReceived', event.Records.length);
  const pacing = new BatchPacing();
  const batch = await lookUpBatch({ records: event.Records, context, runtime, signal, pacing });
  const processor = new BatchProcessor(EventType.SQS);
  const response = await processPartialResponse(event, (record: SQSRecord) => sendRecord(record, batch, runtime, tally), processor, {
    context,
    throwOnFullBatchFailure: false,
  });
  for (const [index, failure] of processor.failureMessages.entries()) {
    const error = processor.errors[index];
    // A record handed back for an expected reason (the deadline near) is a metric; anything else is a fault.
    if (error instanceof RecordError && error.metric) tally.metric(error.metric);
    else runtime.logger.error('record handed back to the queue', { messageId: (failure as SQSRecord).messageId, error });
  }
  tally.metric('RecordsHandedBack', response.batchItemFailures.length);
  tally.metric('SendTimesLost', batch.slots.timesLost());
  const paced = pacing.close(context.logStreamName);
  if (paced) runtime.logger.info('send batch paced', { pacing: paced });
  await flushTally(tally, runtime);
  flushNumberMetrics({ tally, batch, runtime });
  return response;
}

/**
 * Everything a batch reads once (validations, the recipients' user records, the breakers), and
 * the one write it makes before claiming any job: its jobs listed for the dropped sweep.
 */
async function lookUpBatch({
  records,
  context,
  runtime,
  signal,
  pacing,
}: {
  records: SQSRecord[];
  context: Context;
  runtime: SendRuntime;
  signal: AbortSignal | undefined;
  pacing: BatchPacing;
}): Promise<BatchContext> {
  const prepared = new Map(records.map((record) => [record.messageId, prepareRecord(record, runtime)]));
  const jobs = [...prepared.values()].flatMap((p) => (p.ok ? [p.job] : []));
  const readControls = () =>
    jobs.length > 0
      ? runtime.controls.read(
          jobs.map((j) => j.phoneNumberId),
          jobs.map((j) => j.campaignId),
        )
      : Promise.resolve({ phones: new Map(), campaigns: new Map() });
  const [users, controls] = await Promise.all([
    jobs.length > 0 ? runtime.users.getMany(jobs.map((j) => j.recipient)) : new Map(),
    readControls(),
    listForTheSweep(records, prepared, runtime),
  ]);
  const invocationStart = runtime.now();
  const batch: BatchContext = {
    prepared,
    users,
    controls,
    refreshControls: () => Promise.resolve(),
    openedHere: new Set(),
    slowedHere: new Set(),
    slots: new SlotDispenser({
      controls: runtime.controls,
      rateFor: (id) => runtime.config.pacing.rates[id] ?? runtime.config.pacing.defaultRate,
      now: runtime.now,
      onBlock: pacing.record,
    }),
    latestStart: latestStartOf(context, runtime, invocationStart),
    signal,
    pairSpacing: pairSpacingOf(records, prepared),
  };
  batch.refreshControls = refresherOf(batch, readControls, runtime);
  return batch;
}

/**
 * Re-reads the batch's breakers when its view is older than a second, one read in flight at a
 * time. A failed re-read keeps the batch's view: the breakers it saw still apply.
 */
function refresherOf(batch: BatchContext, readControls: () => Promise<Controls>, runtime: SendRuntime): () => Promise<void> {
  let readAt = runtime.now();
  let rereading: Promise<void> | undefined;
  return () => {
    if (runtime.now() - readAt < CONTROLS_MAX_AGE_MS) return Promise.resolve();
    rereading ??= readControls()
      .then((fresh) => {
        batch.controls = fresh;
        readAt = runtime.now();
      })
      .catch((error: unknown) => runtime.logger.warn('breakers not re-read', { error: error as Error }))
      .finally(() => {
        rereading = undefined;
      });
    return rereading;
  };
}

/** The latest time a send may start: its answer and bookkeeping must fit before the deadline, and no slot is waited for too long. */
function latestStartOf(context: Context, runtime: SendRuntime, invocationStart: number): () => number {
  const remaining = context.getRemainingTimeInMillis?.() ?? 30_000;
  const { pacing, meta } = runtime.config;
  const latest = Math.min(
    invocationStart + remaining - meta.timeoutMs - Math.min(DEADLINE_MARGIN_MS, remaining / 10),
    invocationStart + pacing.maxSlotWaitMs,
  );
  return () => latest;
}

/**
 * Lists the batch's jobs in open-deadlines records, one per 15-minute span of their deadlines
 * (usually one: a campaign's jobs share a validity), each under the end of its span, so the
 * dropped sweep looks at none of them before its own deadline and at each within a sweep period
 * after it, even in a batch that mixes campaigns of 12 h and 30 d. It is written before any
 * claim: a job accepted by Meta is always listed. If the write fails, the batch goes back whole
 * (nothing claimed, nothing sent). Jobs that end up not sent are harmless there: the sweep drops
 * only accepted or sent ones.
 */
async function listForTheSweep(records: SQSRecord[], prepared: ReadonlyMap<string, PreparedRecord>, runtime: SendRuntime): Promise<void> {
  const byBucket = new Map<number, Set<string>>();
  for (const record of records) {
    const p = prepared.get(record.messageId);
    if (!p?.ok) continue;
    const bucket = deadlineBucketOf(p.validUntil);
    byBucket.set(bucket, (byBucket.get(bucket) ?? new Set()).add(jobKeyOf(p.job.campaignId, p.job.recipient)));
  }
  await Promise.all([...byBucket].map(([deadline, jobKeys]) => runtime.openDeadlines.record([...jobKeys], deadline)));
}

/**
 * A record's job, validated, with its number's account, when it was created and its validity
 * deadline (a body without `createdAt` counts from its enqueue time). A number of no account
 * served here is refused before any claim: its opt-outs and templates are not this deployment's.
 */
function prepareRecord(record: SQSRecord, runtime: SendRuntime): PreparedRecord {
  const validation = validateJobBody(record.body, runtime.config.recipientPolicy);
  if (!validation.ok) return validation;
  const job = validation.job;
  const account = accountOfNumber(runtime.config.accounts, job.phoneNumberId);
  if (account === undefined) {
    const detail = `phoneNumberId ${job.phoneNumberId} is not a number of an account this deployment serves (WHATSAPP_ACCOUNTS)`;
    return { ok: false, rejection: { reason: 'unserved_phone_number', detail, campaignId: job.campaignId } };
  }
  const createdAt = job.createdAt ? Date.parse(job.createdAt) : Number(record.attributes.SentTimestamp);
  return {
    ok: true,
    job,
    account,
    createdAt,
    validUntil: validityDeadline(createdAt, job.validitySeconds ?? runtime.config.defaultValiditySeconds),
  };
}

/**
 * Meta's pair rate allows about one message per 6 s to the same user: a second job for a
 * recipient in this batch (another campaign) waits 6 s, a third 12 s.
 */
function pairSpacingOf(records: SQSRecord[], prepared: ReadonlyMap<string, PreparedRecord>): Map<string, number> {
  const seen = new Map<string, Set<string>>();
  const spacing = new Map<string, number>();
  for (const record of records) {
    const p = prepared.get(record.messageId);
    if (!p?.ok) continue;
    const campaigns = seen.get(p.job.recipient) ?? new Set<string>();
    if (!campaigns.has(p.job.campaignId) && campaigns.size > 0) spacing.set(record.messageId, PAIR_SPACING_SECONDS * campaigns.size);
    campaigns.add(p.job.campaignId);
    seen.set(p.job.recipient, campaigns);
  }
  return spacing;
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
