import { randomUUID } from 'node:crypto';
import { queueOf, tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { createJobStore } from '../../lib/adapters/dynamodb/job-store.ts';
import { createJobQueues } from '../../lib/adapters/sqs/job-queues.ts';
import { jobKeyOf } from '../../lib/jobs/job-record.ts';
import { type ResendContext, resendUnknown } from '../../lib/resend/resend-unknown.ts';
import { aJob, isTakenByMeta, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { runTool } from '../helpers/run-tool.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * The operator's re-send of `unknown` jobs (`npm run resend-unknown`), through the real send and
 * status functions: a request "Meta" never took (no answer, no message) is sent once more; never
 * twice, never one whose status came, never within the window or past the job's validity.
 */
const once = recipientNumber(7_300);
const lostAgain = recipientNumber(7_301);
const statusCame = recipientNumber(7_302);
const recent = recipientNumber(7_303);
const byCli = recipientNumber(7_304);
const notAutomatic = recipientNumber(7_305);
/** Moves the functions' clock (only the last test does, past the window). */
let clockOffset = 0;
const harness = await startSendHarness(
  baseScenario({
    webhooks: { appSecret: 'local-app-secret', delayMs: { min: 20, max: 60 }, readRate: 0 },
    rules: [
      { name: 'first-never-answered', recipients: [once, recent, byCli, notAutomatic], timeout: true, times: 1 },
      { name: 'never-answered', recipients: [lostAgain], timeout: true },
      { name: 'answer-lost', recipients: [statusCame], latencyMs: 2_500 },
    ],
  }),
  { now: () => Date.now() + clockOffset, env: { META_REQUEST_TIMEOUT_MS: '800' } },
);
harness.sim.setWebhookTarget(harness.deployment.webhookUrl);
const { clients, endpoints } = useLocalStack();
const { resources } = harness.deployment;
const jobStore = createJobStore(clients.documents, {
  tableName: tableOf(resources, 'JobsTable').name,
  retentionDays: 30,
});
const context = (overrides: Partial<ResendContext> = {}): ResendContext => ({
  jobs: jobStore,
  queues: createJobQueues(clients.sqs, {
    sendQueueUrl: queueOf(resources, 'SendQueue').url,
    deferredQueueUrl: queueOf(resources, 'DeferredQueue').url,
  }),
  now: Date.now,
  newId: randomUUID,
  windowMs: 0,
  dryRun: false,
  ...overrides,
});
const callsTo = (recipient: string) => harness.sim.calls().filter((c) => c.recipient === recipient);
const unknownJob = (campaignId: string, recipient: string) =>
  harness.waitForJobs((all) => all.some((j) => j.jobKey === jobKeyOf(campaignId, recipient) && j.state === 'unknown'), 20_000);

describe('re-sending unknown jobs', () => {
  it('re-sends a job Meta never took once, even when two runs race; a dry run changes nothing', async () => {
    await harness.enqueue([aJob({ campaignId: 'resend-once', recipient: once })]);
    await unknownJob('resend-once', once);
    const key = jobKeyOf('resend-once', once);
    // In the sparse index of unknown jobs, the way the re-send finds it; out of it once claimed again.
    expect(await harness.job('resend-once', once)).toMatchObject({ unknownDay: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
    expect((await resendUnknown('resend-once', context({ dryRun: true }))).wouldResend).toEqual([key]);
    expect(await harness.job('resend-once', once)).toMatchObject({ state: 'unknown' });

    const runs = await Promise.all([resendUnknown('resend-once', context()), resendUnknown('resend-once', context())]);
    expect(runs.flatMap((run) => run.resent)).toEqual([key]);
    await harness.waitForJobs((all) => all.some((j) => j.jobKey === key && isTakenByMeta(j.state)), 20_000);
    await harness.quiet('SendQueue');
    expect(callsTo(once).map((c) => c.outcome)).toEqual(['timeout', 'accepted']);
    expect(await harness.job('resend-once', once)).toMatchObject({ apiCalls: 2, resentAt: expect.any(String) });
    expect(await harness.job('resend-once', once)).not.toHaveProperty('unknownDay');
    expect((await resendUnknown('resend-once', context())).resent).toEqual([]);
    // Accepted once; by now its statuses may have moved it on from `accepted`.
    // A gauge a batch moved in and out again is never written: absent reads as 0.
    await expect
      .poll(async () => ({ state_unknown: 0, ...(await harness.counters('resend-once')) }), { timeout: 10_000 })
      .toMatchObject({ uniqueAccepted: 1, state_unknown: 0, resentAfterUnknown: 1 });
  });

  it('never re-sends a job a second time, even if the re-send ended unknown too', async () => {
    await harness.enqueue([aJob({ campaignId: 'resend-twice', recipient: lostAgain })]);
    await unknownJob('resend-twice', lostAgain);
    expect((await resendUnknown('resend-twice', context())).resent).toHaveLength(1);
    await harness.waitForJobs(
      (all) => all.some((j) => j.recipient === lostAgain && j.state === 'unknown' && j.resentAt !== undefined),
      20_000,
    );
    const again = await resendUnknown('resend-twice', context());
    expect(again).toMatchObject({ resent: [], alreadyResent: [jobKeyOf('resend-twice', lostAgain)] });
    expect(callsTo(lostAgain)).toHaveLength(2);
  });

  it('does not re-send a job whose status arrived', async () => {
    await harness.enqueue([aJob({ campaignId: 'resend-status', recipient: statusCame })]);
    await harness.waitForJobs((all) => all.some((j) => j.recipient === statusCame && j.reconciledBy === 'callback_data'), 20_000);
    const report = await resendUnknown('resend-status', context());
    expect(Object.values(report).flat()).toEqual([]);
    expect(callsTo(statusCame)).toHaveLength(1);
  });

  it('does not re-send within the window, nor past the job’s validity (the write refuses it too)', async () => {
    await harness.enqueue([aJob({ campaignId: 'resend-late', recipient: recent, validitySeconds: 43_200 })]);
    const [job] = (await unknownJob('resend-late', recent)).filter((j) => j.recipient === recent);
    const key = jobKeyOf('resend-late', recent);
    expect((await resendUnknown('resend-late', context({ windowMs: 3_600_000 }))).tooRecent).toEqual([key]);
    const afterValidity = Date.parse(job!.validUntil) + 1_000;
    expect((await resendUnknown('resend-late', context({ now: () => afterValidity }))).pastValidity).toEqual([key]);
    const write = { jobKey: key, token: job!.claimToken, nextDispatchId: randomUUID(), now: afterValidity, claimedBefore: afterValidity };
    expect(await jobStore.markForResend(write)).toBe(false);
    expect(await harness.job('resend-late', recent)).toMatchObject({ state: 'unknown' });
    expect(callsTo(recent)).toHaveLength(1);
  });

  it('is an operator command: a dry run lists, a run re-sends, a bad command line says how', async () => {
    await harness.enqueue([aJob({ campaignId: 'resend-cli', recipient: byCli })]);
    await unknownJob('resend-cli', byCli);
    const args = [
      '--jobs-table',
      tableOf(resources, 'JobsTable').name,
      '--campaigns-table',
      tableOf(resources, 'CampaignsTable').name,
      '--send-queue-url',
      queueOf(resources, 'SendQueue').url,
      '--after-seconds',
      '0',
    ];
    const dry = await runCli([...args, '--dry-run', '--json', 'resend-cli']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ campaignId: 'resend-cli', wouldResend: [jobKeyOf('resend-cli', byCli)], resent: [] });
    expect(await harness.job('resend-cli', byCli)).toMatchObject({ state: 'unknown' });
    const run = await runCli([...args, 'resend-cli']);
    expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining('re-sent: 1') });
    expect(run.stdout).not.toContain(byCli);
    await harness.waitForJobs((all) => all.some((j) => j.recipient === byCli && isTakenByMeta(j.state)), 20_000);
    expect((await runCli(['resend-cli'])).code).toBe(2);
  });

  it('is not done by the sweep unless configured (UNKNOWN_RESEND_AUTOMATIC off, the default)', async () => {
    await harness.enqueue([aJob({ campaignId: 'resend-manual', recipient: notAutomatic })]);
    await unknownJob('resend-manual', notAutomatic);
    clockOffset = 2 * 3_600_000;
    try {
      expect(await harness.deployment.sweep()).not.toHaveProperty('unknown');
      expect(await harness.job('resend-manual', notAutomatic)).toMatchObject({ state: 'unknown' });
      expect(await harness.job('resend-manual', notAutomatic)).not.toHaveProperty('resentAt');
      expect(callsTo(notAutomatic)).toHaveLength(1);
    } finally {
      clockOffset = 0;
    }
  });
});

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb, AWS_ENDPOINT_URL_SQS: endpoints.sqs };
  return runTool('resend-unknown.ts', args, env);
}
