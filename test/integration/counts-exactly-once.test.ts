import type { Metrics } from '@aws-lambda-powertools/metrics';
import { type DynamoDbStreamHandler, startStreamEventSource, tableOf } from 'lambda-local-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { createCampaignCounters } from '../../lib/adapters/dynamodb/campaign-counters.ts';
import { countJobChanges } from '../../lib/counts/count-job-changes.ts';
import { countStreamBatch } from '../../lib/counts/count-stream-batch.ts';
import type { JobChange } from '../../lib/jobs/job-change.ts';
import { countsOfJob, isRecountable } from '../../lib/jobs/state-gauges.ts';
import { createLogger, createMetrics } from '../../lib/observability.ts';
import { captureEmf } from '../helpers/emf-lines.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * Campaign figures come from the jobs table's stream (the counting function). Lambda hands a failed
 * batch over again from its first record: whatever part of it was counted before must not count
 * twice. The counting function runs here under a stream source of the test's own, so that the
 * test can fail it after its writes, or fail one campaign's write in the middle of a batch.
 */
let failCampaignWrite: string | undefined;
let failAfterWrites = false;
const harness = await startSendHarness(
  baseScenario({ latencyMs: 5, webhooks: { appSecret: 'local-app-secret', delayMs: 20, readRate: 1 } }),
  {
    functions: ['send', 'release', 'status', 'webhook'],
    injectFault: (service, command, input) => {
      if (service !== 'dynamodb' || command !== 'TransactWriteItemsCommand' || !failCampaignWrite) return undefined;
      if (!JSON.stringify(input).includes(`"campaignId":"${failCampaignWrite}"`)) return undefined;
      failCampaignWrite = undefined;
      return Object.assign(new Error('injected: DynamoDB unavailable for this write'), { name: 'InternalServerError' });
    },
  },
);
harness.sim.setWebhookTarget(harness.deployment.webhookUrl);
const { endpoints, clients } = useLocalStack();
const { resources } = harness.deployment;
const invocations: Array<'failed' | 'ok'> = [];
const counting: DynamoDbStreamHandler = async (event, context) => {
  await harness.deployment.countJobChangesHandler(event, context);
  if (failAfterWrites) {
    failAfterWrites = false;
    throw new Error('the runtime died after the counter writes');
  }
  invocations.push('ok');
};
const source = startStreamEventSource({
  endpoint: endpoints.dynamodb,
  tableName: tableOf(resources, 'JobsTable').name,
  handler: async (event, context) => {
    try {
      return await counting(event, context);
    } catch (error) {
      invocations.push('failed');
      throw error;
    }
  },
  batchSize: 1000,
  maximumBatchingWindowSeconds: 0.2,
  filterPatterns: [{ eventName: ['INSERT', 'MODIFY'] }],
  onError: () => {},
});
afterAll(() => source.stop());
const counters = createCampaignCounters(clients.documents, { tableName: tableOf(resources, 'CampaignsTable').name, shards: 10 });

const recountable = (values: Record<string, number>) =>
  Object.fromEntries(Object.entries(values).filter(([name, n]) => isRecountable(name) && n !== 0));

async function truthOf(campaignId: string): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const job of (await harness.allJobs()).filter((j) => j.campaignId === campaignId)) {
    for (const [name, n] of Object.entries(countsOfJob(job))) totals[name] = (totals[name] ?? 0) + n;
  }
  return recountable(totals);
}

async function sendAndSettle(campaignIds: string[], from: number): Promise<void> {
  const jobs = campaignIds.flatMap((campaignId, c) =>
    Array.from({ length: 8 }, (_, i) => aJob({ campaignId, recipient: recipientNumber(from + c * 100 + i) })),
  );
  await harness.enqueue(jobs);
  await harness.waitForJobs((all) => all.filter((j) => campaignIds.includes(j.campaignId) && j.state === 'read').length === jobs.length);
  await harness.quiet('StatusQueue');
  await source.caughtUp();
}

describe('counting job changes from the stream, exactly once', () => {
  it('a batch whose invocation dies after its counter writes is handed over again and adds nothing twice', async () => {
    failAfterWrites = true;
    await sendAndSettle(['died-after'], 1_000);
    expect(invocations).toContain('failed');
    expect(recountable(await counters.read('died-after'))).toEqual(await truthOf('died-after'));
    expect(await truthOf('died-after')).toMatchObject({ state_read: 8, uniqueAccepted: 8, uniqueDelivered: 8 });
  });

  it('a batch that fails on its second campaign counts the first once and the second once, on the retry', async () => {
    failCampaignWrite = 'second';
    await sendAndSettle(['first', 'second'], 2_000);
    expect(failCampaignWrite).toBeUndefined();
    for (const campaignId of ['first', 'second']) {
      expect(recountable(await counters.read(campaignId)), campaignId).toEqual(await truthOf(campaignId));
    }
  });

  it('a batch handed over again with more changes than before adds only those beyond its mark', async () => {
    const change = (sequence: string, state: 'accepted' | 'delivered'): JobChange => ({
      campaignId: 'extended',
      sequence,
      before: { state: 'sending', claimedFrom: 'none', attempt: 1, retries: 0 },
      after: { state, attempt: 1, retries: 0, acceptedAt: 't', ...(state === 'delivered' ? { deliveredAt: 't' } : {}) },
    });
    // Real sequence numbers are 21 to 40 digits: beyond a JavaScript number's exact range.
    const first = [change('900000000000000000000100', 'accepted'), change('900000000000000000000101', 'accepted')];
    const handedOverAgain = [...first, change('900000000000000000000102', 'delivered')];
    const skipped: number[] = [];
    const deps = { counters, onAlreadyCounted: (_: string, n: number) => skipped.push(n) };
    expect(await countJobChanges({ batchId: 'shard-1-batch', changes: first }, deps)).toMatchObject({ changesCounted: 2 });
    expect(await countJobChanges({ batchId: 'shard-1-batch', changes: first }, deps)).toMatchObject({
      changesCounted: 0,
      changesSkipped: 2,
    });
    expect(await countJobChanges({ batchId: 'shard-1-batch', changes: handedOverAgain }, deps)).toMatchObject({
      changesCounted: 1,
      changesSkipped: 2,
    });
    expect(skipped).toEqual([2, 2]);
    expect(await counters.read('extended')).toMatchObject({ state_accepted: 2, state_delivered: 1, uniqueAccepted: 3, uniqueDelivered: 1 });
  });

  it('counts each job delivered once in JobsDelivered, whichever function wrote it, also when a batch is handed over again', async () => {
    const emitted: Array<[string, number]> = [];
    const metrics = { addMetric: (name: string, _unit: string, value: number) => void emitted.push([name, value]) } as unknown as Metrics;
    const delivered = (sequence: string, retries: number): JobChange => ({
      campaignId: 'delivered-metric',
      sequence,
      before: { state: 'sent', attempt: 1, retries, acceptedAt: 't' },
      after: { state: 'delivered', attempt: 1, retries, acceptedAt: 't', deliveredAt: 't' },
    });
    const batch = {
      batchId: 'shard-2-batch',
      changes: [delivered('900000000000000000000200', 0), delivered('900000000000000000000201', 1)],
    };
    const runtime = { counters, read: () => ({ batch, unread: [] }), logger: createLogger('countJobChanges', 'SILENT'), metrics };
    await countStreamBatch(batch, runtime);
    await countStreamBatch(batch, runtime);
    expect(emitted.filter(([name]) => name === 'JobsRead')).toEqual([]);
    expect(emitted.filter(([name]) => name.startsWith('JobsDelivered'))).toEqual([
      ['JobsDelivered', 2],
      ['JobsDeliveredAfterRetry', 1],
    ]);
  });

  it('counts the jobs that became failed by their error code (an errorCode dimension) and the jobs read, as EMF lines', async () => {
    const emf = captureEmf();
    const failed = (sequence: string, code: number): JobChange => ({
      campaignId: 'failed-by-code',
      sequence,
      before: { state: 'accepted', attempt: 1, retries: 0 },
      after: { state: 'failed', attempt: 1, retries: 0, lastErrorCode: code },
    });
    const batch = {
      batchId: 'shard-3-batch',
      changes: [
        failed('900000000000000000000300', 131026),
        failed('900000000000000000000301', 131026),
        failed('900000000000000000000302', 131000),
        {
          campaignId: 'failed-by-code',
          sequence: '900000000000000000000303',
          before: { state: 'delivered', attempt: 1, retries: 0, acceptedAt: 't', deliveredAt: 't' },
          after: { state: 'read', attempt: 1, retries: 0, acceptedAt: 't', deliveredAt: 't' },
        } satisfies JobChange,
      ],
    };
    const metrics = createMetrics('countJobChanges');
    await countStreamBatch(batch, {
      counters,
      read: () => ({ batch, unread: [] }),
      logger: createLogger('countJobChanges', 'SILENT'),
      metrics,
    });
    // The function's middleware publishes the invocation's metrics after the handler.
    metrics.publishStoredMetrics();
    expect(await counters.read('failed-by-code')).toMatchObject({ failedCode_131026: 2, failedCode_131000: 1 });
    expect(emf.emitted('JobsFailedByCode').map(({ value, dimensions, values }) => ({ value, dimensions, code: values.errorCode }))).toEqual(
      [
        { value: 2, dimensions: ['errorCode', 'function', 'service'], code: '131026' },
        { value: 1, dimensions: ['errorCode', 'function', 'service'], code: '131000' },
      ],
    );
    expect(emf.emitted('JobsRead').map(({ value, dimensions }) => ({ value, dimensions }))).toEqual([
      { value: 1, dimensions: ['function', 'service'] },
    ]);
  });
});
