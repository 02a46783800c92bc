import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { createLambdaContext, tableOf } from 'lambda-local-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenDeadlines } from '../../lib/adapters/dynamodb/open-deadlines.ts';
import { type JobRecord, jobKeyOf } from '../../lib/jobs/job-record.ts';
import { DEADLINE_BUCKET_MS, deadlineBucketOf, OPEN_DEADLINE_SHARDS } from '../../lib/ports/open-deadlines.ts';
import { SWEEP_SETTLE_MS } from '../../lib/sweep/sweep-dropped.ts';
import { aJob, recipientNumber, sqsRecord } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { postWebhook, statusesPayload } from '../helpers/webhook-factories.ts';

/**
 * The dropped sweep reads each send batch's open-deadlines record once, from a watermark, and
 * drops the listed jobs still accepted or sent. The clock is injectable (offset, or frozen for
 * exact window edges); a fault hook fails chosen writes.
 *
 * Each test's deadlines lie after the watermark the previous tests left (a run moves it at most
 * 24 h), so the tests run in this order.
 */
const HOUR = 3_600_000;
const r = (n: number) => recipientNumber(9_000 + n);
const retried = r(60);
let clockOffset = 0;
let frozenNow: number | undefined;
let failDropsAfter: number | undefined;
/** Fails the open-deadlines record of any batch with a job of this campaign. */
let failRecordsOf: string | undefined;
const requests: Array<{ command: string; input: Record<string, unknown> }> = [];
const harness = await startSendHarness(
  baseScenario({ rules: [{ name: 'transient-once', recipients: [retried], times: 1, error: 131000 }] }),
  {
    now: () => (frozenNow ?? Date.now()) + clockOffset,
    env: { META_RETRY_WAITS: JSON.stringify({ 131000: 1 }) },
    injectFault(service, command, input) {
      if (service !== 'dynamodb') return undefined;
      requests.push({ command, input });
      const values = jobUpdateOf({ command, input })?.ExpressionAttributeValues as Record<string, unknown> | undefined;
      if (failDropsAfter !== undefined && values?.[':state'] === 'dropped' && failDropsAfter-- <= 0) {
        return Object.assign(new Error('internal server error'), { name: 'InternalServerError', $fault: 'server', $retryable: undefined });
      }
      if (
        failRecordsOf !== undefined &&
        command === 'PutItemCommand' &&
        isOpenDeadlinesRecord(input) &&
        JSON.stringify(input).includes(`${failRecordsOf}#`)
      ) {
        return Object.assign(new Error('internal server error'), { name: 'InternalServerError', $fault: 'server', $retryable: undefined });
      }
      return undefined;
    },
  },
);
const { clients } = useLocalStack();
const url = harness.deployment.webhookUrl!;
const campaignsTable = tableOf(harness.deployment.resources, 'CampaignsTable').name;
/** Records written by the test itself, all in one shard (the sweep reads every shard alike). */
const testRecords = createOpenDeadlines(clients.documents, { tableName: campaignsTable, random: () => 0 });

const isOpenDeadlinesRecord = (input: Record<string, unknown>) => JSON.stringify(input).includes('sweep#open#');
const isOpenDeadlinesPut = (q: { command: string; input: Record<string, unknown> }) =>
  q.command === 'PutItemCommand' && isOpenDeadlinesRecord(q.input);

/** Sends jobs for real. */
async function accepted(campaignId: string, recipients: string[], validitySeconds: number): Promise<JobRecord[]> {
  await harness.enqueue(recipients.map((recipient) => aJob({ campaignId, recipient, validitySeconds })));
  const jobs = await harness.waitForJobs(
    (all) => all.filter((j) => j.campaignId === campaignId && j.state === 'accepted').length === recipients.length,
  );
  return jobs.filter((j) => j.campaignId === campaignId);
}

/** Hands one batch to the send handler, as the event source would. */
function invokeSend(...bodies: Array<{ campaignId: string; recipient: string; validitySeconds: number }>) {
  const records = bodies.map((job) => sqsRecord(JSON.stringify({ ...aJob(job), createdAt: new Date().toISOString() })));
  return harness.deployment.sendHandler({ Records: records } as SQSEvent, createLambdaContext({ functionName: 'send', timeoutMs: 30_000 }));
}

async function deliver(job: JobRecord, status: 'sent' | 'delivered'): Promise<void> {
  expect((await postWebhook(url, statusesPayload([{ wamid: job.wamid!, recipient: job.recipient, status }]))).status).toBe(200);
  await harness.waitForJobs((all) => all.some((j) => j.jobKey === job.jobKey && j.state === status));
}

async function sweptUntil(): Promise<string | undefined> {
  const result = await clients.documents.send(
    new GetCommand({ TableName: campaignsTable, Key: { campaignId: 'sweep#dropped', item: 'watermark' }, ConsistentRead: true }),
  );
  return result.Item?.sweptUntil as string | undefined;
}

interface OpenDeadlinesRecord {
  campaignId: string;
  item: string;
  jobKeys: string[];
  expiresAt: number;
}

/** The open-deadlines records that list any job of this campaign. */
async function recordsListing(campaignId: string): Promise<OpenDeadlinesRecord[]> {
  const records: OpenDeadlinesRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(
      new ScanCommand({ TableName: campaignsTable, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    records.push(
      ...((page.Items ?? []) as OpenDeadlinesRecord[]).filter(
        (item) => item.campaignId.startsWith('sweep#open#') && item.jobKeys.some((key) => key.startsWith(`${campaignId}#`)),
      ),
    );
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return records;
}

const deadlineOf = (record: OpenDeadlinesRecord) => Number(record.item.slice(0, 13));
/** A job write's update: a plain UpdateItem, or the job's item of a transaction with its counter deltas. */
function jobUpdateOf(q: { command: string; input: Record<string, unknown> }): Record<string, unknown> | undefined {
  const transacted = (q.input.TransactItems as Array<{ Update?: Record<string, unknown> }> | undefined)?.[0]?.Update;
  const update = q.command === 'UpdateItemCommand' ? q.input : q.command === 'TransactWriteItemsCommand' ? transacted : undefined;
  return update && String(update.TableName).endsWith('-jobs') ? update : undefined;
}
const jobWrites = () => requests.filter((q) => jobUpdateOf(q) !== undefined);
const mentions = (campaignId: string) => (q: { input: Record<string, unknown> }) => JSON.stringify(q.input).includes(campaignId);

describe('dropped sweep', () => {
  afterEach(() => {
    clockOffset = 0;
    frozenNow = undefined;
    failRecordsOf = undefined;
  });

  it('drops the undelivered jobs past their validity once, never the delivered ones', async () => {
    const jobs = await accepted('sweep', [r(1), r(2), r(3)], 12 * 3_600);
    const [delivered, open, sent] = jobs;
    // Each batch's record: a shard, the end of its jobs' 15-minute span of deadlines, their keys, a TTL a week later.
    const records = await recordsListing('sweep');
    // A job a batch put back (no send time it could keep on a busy machine) is listed again by the
    // batch that sends it: the sweep looks at it twice and drops it once (the test below).
    const listings = records.flatMap((record) => record.jobKeys);
    expect([...new Set(listings)].sort()).toEqual(jobs.map((job) => job.jobKey).sort());
    for (const record of records) {
      expect(record.campaignId).toMatch(/^sweep#open#([0-9]|1[0-5])$/);
      expect(record.item).toMatch(/^\d{13}#[0-9a-f-]{36}$/);
      const listed = jobs.filter((job) => record.jobKeys.includes(job.jobKey));
      for (const job of listed) expect(deadlineOf(record)).toBe(deadlineBucketOf(Date.parse(job.validUntil)));
      expect(record.expiresAt).toBe(Math.floor(deadlineOf(record) / 1000) + 7 * 86_400);
    }
    await deliver(delivered!, 'delivered');
    await deliver(sent!, 'sent');
    expect(await harness.deployment.sweep()).toEqual({ examined: 0, dropped: 0 });
    const first = await sweptUntil();
    expect(first).toBeDefined();

    clockOffset = 12 * HOUR + DEADLINE_BUCKET_MS + SWEEP_SETTLE_MS + 60_000;
    requests.length = 0;
    expect(await harness.deployment.sweep()).toEqual({ examined: listings.length, dropped: 2 });
    expect(jobWrites()).toHaveLength(2);
    expect(Date.parse((await sweptUntil())!)).toBeGreaterThan(Date.parse(first!));
    expect(await harness.job('sweep', open!.recipient)).toMatchObject({ state: 'dropped' });
    expect(await harness.job('sweep', sent!.recipient)).toMatchObject({ state: 'dropped' });
    expect(await harness.job('sweep', delivered!.recipient)).toMatchObject({ state: 'delivered' });
    expect(await harness.figures('sweep')).toMatchObject({ byState: { dropped: 2, delivered: 1 }, uniqueAccepted: 3, uniqueDelivered: 1 });

    // The next run starts where this one ended: nothing is read or written again.
    requests.length = 0;
    expect(await harness.deployment.sweep()).toEqual({ examined: 0, dropped: 0 });
    expect(requests.filter((q) => q.command === 'BatchGetItemCommand')).toHaveLength(0);
  });

  it('resumes a run that failed half-way without moving its watermark, and counts each drop once', async () => {
    await accepted('sweep-resume', [r(10), r(11), r(12)], 24 * 3_600);
    const before = await sweptUntil();
    clockOffset = 36 * HOUR;
    failDropsAfter = 1;
    try {
      await expect(harness.deployment.sweep()).rejects.toThrow();
    } finally {
      failDropsAfter = undefined;
    }
    expect(await sweptUntil()).toBe(before);
    const partly = (await harness.allJobs()).filter((j) => j.campaignId === 'sweep-resume' && j.state === 'dropped');
    expect(partly).toHaveLength(1);

    requests.length = 0;
    expect(await harness.deployment.sweep()).toMatchObject({ dropped: 2 });
    expect(jobWrites()).toHaveLength(2);
    expect(Date.parse((await sweptUntil())!)).toBeGreaterThan(Date.parse(before!));
    expect(await harness.figures('sweep-resume')).toMatchObject({ byState: { dropped: 3 } });
  });

  it('lets a delivered that comes after the deadline win over dropped', async () => {
    const [late] = await accepted('sweep-late', [r(20)], 48 * 3_600);
    clockOffset = 60 * HOUR;
    expect((await harness.deployment.sweep()).dropped).toBe(1);
    clockOffset = 0;
    await deliver(late!, 'delivered');
    expect(await harness.figures('sweep-late')).toMatchObject({ byState: { delivered: 1 }, uniqueDelivered: 1 });
  });

  it('writes the record before claiming: a batch whose record write fails claims nothing, sends nothing, and comes back whole', async () => {
    const jobs = [r(30), r(31)].map((recipient) => ({ campaignId: 'sweep-unlisted', recipient, validitySeconds: 72 * 3_600 }));
    failRecordsOf = 'sweep-unlisted';
    requests.length = 0;
    await expect(invokeSend(...jobs)).rejects.toThrow();
    expect(requests.filter(isOpenDeadlinesPut)).toHaveLength(1);
    expect(jobWrites().filter(mentions('sweep-unlisted'))).toHaveLength(0);
    expect(harness.sim.calls().filter((call) => call.recipient === r(30) || call.recipient === r(31))).toHaveLength(0);
    expect((await harness.allJobs()).filter((job) => job.campaignId === 'sweep-unlisted')).toHaveLength(0);

    failRecordsOf = undefined;
    requests.length = 0;
    expect(await invokeSend(...jobs)).toEqual({ batchItemFailures: [] });
    const firstClaim = requests.findIndex((q) => jobUpdateOf(q) !== undefined && mentions('sweep-unlisted')(q));
    expect(requests.findIndex(isOpenDeadlinesPut)).toBeGreaterThanOrEqual(0);
    expect(requests.findIndex(isOpenDeadlinesPut)).toBeLessThan(firstClaim);
    expect((await harness.allJobs()).filter((job) => job.campaignId === 'sweep-unlisted' && job.state === 'accepted')).toHaveLength(2);
    expect(await recordsListing('sweep-unlisted')).toHaveLength(1);

    clockOffset = 72 * HOUR + DEADLINE_BUCKET_MS + SWEEP_SETTLE_MS + 60_000;
    expect(await harness.deployment.sweep()).toEqual({ examined: 2, dropped: 2 });
  });

  it("lists a batch's jobs by 15-minute span of deadlines: none looked at before its own deadline, none long after", async () => {
    const [early, late] = [r(40), r(41)] as const;
    expect(
      await invokeSend(
        { campaignId: 'sweep-latest', recipient: early, validitySeconds: 84 * 3_600 },
        { campaignId: 'sweep-latest', recipient: late, validitySeconds: 96 * 3_600 },
      ),
    ).toEqual({
      batchItemFailures: [],
    });
    const records = await recordsListing('sweep-latest');
    expect(records.map((record) => [deadlineOf(record), record.jobKeys]).sort(([a], [b]) => Number(a) - Number(b))).toEqual(
      await Promise.all(
        [early, late].map(async (recipient) => [
          deadlineBucketOf(Date.parse((await harness.job('sweep-latest', recipient))!.validUntil)),
          [`sweep-latest#${recipient}`],
        ]),
      ),
    );

    // The early job's span has ended; the late one's is not due yet.
    clockOffset = 84 * HOUR + DEADLINE_BUCKET_MS + SWEEP_SETTLE_MS + 60_000;
    expect(await harness.deployment.sweep()).toEqual({ examined: 1, dropped: 1 });
    expect(await harness.job('sweep-latest', early)).toMatchObject({ state: 'dropped' });
    expect(await harness.job('sweep-latest', late)).toMatchObject({ state: 'accepted' });

    clockOffset = 96 * HOUR + DEADLINE_BUCKET_MS + SWEEP_SETTLE_MS + 60_000;
    expect(await harness.deployment.sweep()).toEqual({ examined: 1, dropped: 1 });
    expect(await harness.figures('sweep-latest')).toMatchObject({ byState: { dropped: 2 } });
  });

  it('reads a record whose deadline is the window end, and not one at its start (already swept)', async () => {
    // Their own records' deadlines are long swept: only the records below list them again.
    const [atStart, atEnd, afterEnd] = await accepted('sweep-edges', [r(50), r(51), r(52)], 12 * 3_600);
    const start = Date.parse((await sweptUntil())!);
    const end = start + HOUR;
    await testRecords.record([atStart!.jobKey], start);
    await testRecords.record([atEnd!.jobKey], end);
    await testRecords.record([afterEnd!.jobKey], end + 1);

    frozenNow = end + SWEEP_SETTLE_MS;
    expect(await harness.deployment.sweep()).toEqual({ examined: 1, dropped: 1 });
    expect(Date.parse((await sweptUntil())!)).toBe(end);
    expect(await harness.job('sweep-edges', atEnd!.recipient)).toMatchObject({ state: 'dropped' });
    expect(await harness.job('sweep-edges', afterEnd!.recipient)).toMatchObject({ state: 'accepted' });

    frozenNow = end + 1 + SWEEP_SETTLE_MS;
    expect(await harness.deployment.sweep()).toEqual({ examined: 1, dropped: 1 });
    expect(await harness.job('sweep-edges', afterEnd!.recipient)).toMatchObject({ state: 'dropped' });
    expect(await harness.job('sweep-edges', atStart!.recipient)).toMatchObject({ state: 'accepted' });
  });

  it('pages through a shard with more records than one query returns', { timeout: 60_000 }, async () => {
    const [onFirstPage, onLastPage] = await accepted('sweep-paging', [r(55), r(56)], 12 * 3_600);
    const start = Date.parse((await sweptUntil())!);
    // 48 records of 250 long job keys (jobs that do not exist): over the 1 MB a query page holds.
    const filler = (n: number) => Array.from({ length: 250 }, (_, i) => jobKeyOf(`filler-${'x'.repeat(110)}-${n}`, recipientNumber(i)));
    await testRecords.record([onFirstPage!.jobKey, ...filler(0)], start + 1);
    for (let n = 1; n < 47; n++) await testRecords.record(filler(n), start + 1 + n);
    // Listed twice in one record, and in the first: read and counted once.
    await testRecords.record([onLastPage!.jobKey, onLastPage!.jobKey, onFirstPage!.jobKey, ...filler(47)], start + 48);

    frozenNow = start + HOUR + SWEEP_SETTLE_MS;
    requests.length = 0;
    expect(await harness.deployment.sweep()).toEqual({ examined: 48 * 250 + 4, dropped: 2 });
    expect(requests.filter((q) => q.command === 'QueryCommand').length).toBeGreaterThan(OPEN_DEADLINE_SHARDS);
    expect(await harness.job('sweep-paging', onFirstPage!.recipient)).toMatchObject({ state: 'dropped' });
    expect(await harness.job('sweep-paging', onLastPage!.recipient)).toMatchObject({ state: 'dropped' });
    expect(await harness.figures('sweep-paging')).toMatchObject({ byState: { dropped: 2 } });
  });

  it('looks twice at a retried job, listed by both its batches, and counts its drop once', async () => {
    await harness.enqueue([aJob({ campaignId: 'sweep-retried', recipient: retried, validitySeconds: 120 * 3_600 })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'sweep-retried' && j.state === 'accepted'));
    expect(await harness.job('sweep-retried', retried)).toMatchObject({ state: 'accepted', retries: 1 });
    // Both attempts' batches list it; on a starved machine a batch may also put its claimed job
    // back for a later send time (no time it could keep), and the batch that sends it lists it again.
    const records = await recordsListing('sweep-retried');
    expect(records.length).toBeGreaterThanOrEqual(2);
    expect(new Set(records.map(deadlineOf)).size).toBe(1);

    clockOffset = 120 * HOUR + DEADLINE_BUCKET_MS + SWEEP_SETTLE_MS + 60_000;
    expect(await harness.deployment.sweep()).toEqual({ examined: records.length, dropped: 1 });
    expect(await harness.figures('sweep-retried')).toMatchObject({ byState: { dropped: 1 }, uniqueAccepted: 1 });
  });
});
