import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { queueOf, tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { createJobStore } from '../../lib/adapters/dynamodb/job-store.ts';
import { UNKNOWN_INDEX } from '../../lib/adapters/dynamodb/job-updates.ts';
import { createJobQueues } from '../../lib/adapters/sqs/job-queues.ts';
import { jobKeyOf } from '../../lib/jobs/job-record.ts';
import { resendUnknown } from '../../lib/resend/resend-unknown.ts';
import { aJob, isTakenByMeta, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * The sweep's automatic re-send of `unknown` jobs (UNKNOWN_RESEND_AUTOMATIC on, the default
 * window of an hour), through the real send, status and sweep functions. The clock is moved past
 * the window once a job is `unknown`; jobs it finds in the sparse index of unknown jobs.
 */
const HOUR = 3_600_000;
const old = recipientNumber(7_400);
const young = recipientNumber(7_401);
const statusCame = recipientNumber(7_402);
const lostAgain = recipientNumber(7_403);
const afterFault = recipientNumber(7_404);
let clockOffset = 0;
/** Fails the sweep's queries of the index of unknown jobs. */
let failIndexQueries = false;
const now = () => Date.now() + clockOffset;
const harness = await startSendHarness(
  baseScenario({
    webhooks: { appSecret: 'local-app-secret', delayMs: { min: 20, max: 60 }, readRate: 0 },
    rules: [
      { name: 'first-never-answered', recipients: [old, young, afterFault], timeout: true, times: 1 },
      { name: 'never-answered', recipients: [lostAgain], timeout: true },
      { name: 'answer-lost', recipients: [statusCame], latencyMs: 2_500 },
    ],
  }),
  {
    now,
    env: { META_REQUEST_TIMEOUT_MS: '800', UNKNOWN_RESEND_AUTOMATIC: 'true' },
    injectFault(service, command, input) {
      if (!failIndexQueries || service !== 'dynamodb' || command !== 'QueryCommand' || input.IndexName !== UNKNOWN_INDEX.name)
        return undefined;
      return Object.assign(new Error('internal server error'), { name: 'InternalServerError', $fault: 'server', $retryable: undefined });
    },
  },
);
harness.sim.setWebhookTarget(harness.deployment.webhookUrl);
const { clients } = useLocalStack();
const { resources } = harness.deployment;
const jobsTable = tableOf(resources, 'JobsTable').name;
const callsTo = (recipient: string) => harness.sim.calls().filter((c) => c.recipient === recipient);
const unknownJob = (campaignId: string, recipient: string) =>
  harness.waitForJobs((all) => all.some((j) => j.jobKey === jobKeyOf(campaignId, recipient) && j.state === 'unknown'), 20_000);
/** The keys the sparse index holds for a campaign: the jobs left `unknown` (or re-sent from it and not yet claimed). */
async function indexed(campaignId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const back of [0, 1]) {
    const day = new Date(now() - back * 24 * HOUR).toISOString().slice(0, 10);
    const page = await clients.documents.send(
      new QueryCommand({
        TableName: jobsTable,
        IndexName: UNKNOWN_INDEX.name,
        KeyConditionExpression: 'unknownDay = :day',
        ExpressionAttributeValues: { ':day': day },
      }),
    );
    for (const item of page.Items ?? []) if (item.campaignId === campaignId) keys.push(jobKeyOf(item.campaignId, item.recipient));
  }
  return keys;
}

describe('the sweep re-sends unknown jobs by itself when configured', () => {
  it('re-sends an old unknown job once, even beside a second sweep and the operator command, and leaves a young one', async () => {
    await harness.enqueue([aJob({ campaignId: 'auto-once', recipient: old })]);
    await unknownJob('auto-once', old);
    clockOffset += 2 * HOUR;
    await harness.enqueue([aJob({ campaignId: 'auto-once', recipient: young })]);
    await unknownJob('auto-once', young);
    expect((await indexed('auto-once')).sort()).toEqual([jobKeyOf('auto-once', old), jobKeyOf('auto-once', young)].sort());

    const operator = resendUnknown('auto-once', {
      jobs: createJobStore(clients.documents, {
        tableName: jobsTable,
        retentionDays: 30,
      }),
      queues: createJobQueues(clients.sqs, {
        sendQueueUrl: queueOf(resources, 'SendQueue').url,
        deferredQueueUrl: queueOf(resources, 'DeferredQueue').url,
      }),
      now,
      newId: randomUUID,
      windowMs: HOUR,
      dryRun: false,
    });
    const [first, second, byOperator] = await Promise.all([harness.deployment.sweep(), harness.deployment.sweep(), operator]);
    expect((first.unknown?.resent ?? 0) + (second.unknown?.resent ?? 0) + byOperator.resent.length).toBe(1);
    expect(byOperator.tooRecent).toEqual([jobKeyOf('auto-once', young)]);

    await harness.waitForJobs((all) => all.some((j) => j.jobKey === jobKeyOf('auto-once', old) && isTakenByMeta(j.state)), 20_000);
    await harness.quiet('SendQueue');
    expect(callsTo(old).map((c) => c.outcome)).toEqual(['timeout', 'accepted']);
    expect(await harness.job('auto-once', old)).toMatchObject({ resentAt: expect.any(String), apiCalls: 2 });
    // Claimed again: out of the index; the young one still in it.
    expect(await indexed('auto-once')).toEqual([jobKeyOf('auto-once', young)]);
    expect((await harness.deployment.sweep()).unknown).toMatchObject({ resent: 0, redispatched: 0 });
    expect(await harness.job('auto-once', young)).toMatchObject({ state: 'unknown' });
    expect(callsTo(young)).toHaveLength(1);
    expect(callsTo(old)).toHaveLength(2);
  });

  it('leaves a job whose status arrived: the status took it out of the index', async () => {
    await harness.enqueue([aJob({ campaignId: 'auto-status', recipient: statusCame })]);
    await harness.waitForJobs((all) => all.some((j) => j.recipient === statusCame && j.reconciledBy === 'callback_data'), 20_000);
    expect(await harness.job('auto-status', statusCame)).not.toHaveProperty('unknownDay');
    expect(await indexed('auto-status')).toEqual([]);
    clockOffset += 2 * HOUR;
    expect((await harness.deployment.sweep()).unknown).toBeDefined();
    expect(await harness.job('auto-status', statusCame)).not.toHaveProperty('resentAt');
    expect(callsTo(statusCame)).toHaveLength(1);
  });

  it('never re-sends a job twice, even when its re-send ended unknown too', async () => {
    await harness.enqueue([aJob({ campaignId: 'auto-twice', recipient: lostAgain })]);
    await unknownJob('auto-twice', lostAgain);
    clockOffset += 2 * HOUR;
    expect((await harness.deployment.sweep()).unknown?.resent).toBeGreaterThanOrEqual(1);
    await harness.waitForJobs(
      (all) => all.some((j) => j.recipient === lostAgain && j.state === 'unknown' && j.resentAt !== undefined),
      20_000,
    );
    clockOffset += 2 * HOUR;
    expect((await harness.deployment.sweep()).unknown).toMatchObject({ resent: 0 });
    expect(await harness.job('auto-twice', lostAgain)).toMatchObject({ state: 'unknown' });
    expect(callsTo(lostAgain)).toHaveLength(2);
  });

  it('fails the run when the index cannot be read, re-sending nothing, and the next run re-sends', async () => {
    await harness.enqueue([aJob({ campaignId: 'auto-fault', recipient: afterFault })]);
    await unknownJob('auto-fault', afterFault);
    clockOffset += 2 * HOUR;
    failIndexQueries = true;
    try {
      await expect(harness.deployment.sweep()).rejects.toThrow(/internal server error/);
    } finally {
      failIndexQueries = false;
    }
    expect(await harness.job('auto-fault', afterFault)).toMatchObject({ state: 'unknown' });
    expect(callsTo(afterFault)).toHaveLength(1);
    expect((await harness.deployment.sweep()).unknown?.resent).toBeGreaterThanOrEqual(1);
    await harness.waitForJobs((all) => all.some((j) => j.recipient === afterFault && isTakenByMeta(j.state)), 20_000);
    expect(callsTo(afterFault)).toHaveLength(2);
  });
});
