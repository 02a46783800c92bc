import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * The whole loop with the simulator playing Meta: it accepts each send, then posts signed
 * status webhooks (late, duplicated, reordered) to the webhook function. One recipient hits the
 * per-user limit on every attempt. The 24-hour wait is shortened to 2 s here, as a setting.
 */
const capped = recipientNumber(6_000);
const optingOut = recipientNumber(6_001);
const harness = await startSendHarness(
  baseScenario({
    webhooks: { appSecret: 'local-app-secret', delayMs: { min: 10, max: 60 }, duplicateRate: 0.3, reorder: true, readRate: 0.5 },
    rules: [
      { name: 'always-capped', recipients: [capped], async: { failWith: 131049 } },
      { name: 'opts-out', recipients: [optingOut], optOut: { via: 'user_preferences' } },
    ],
  }),
  { env: { PER_USER_LIMIT_DELAY_SECONDS: '2', MAX_LIMIT_ATTEMPTS: '3' } },
);
harness.sim.setWebhookTarget(harness.deployment.webhookUrl);
const { endpoints } = useLocalStack();

async function report(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const table = tableOf(harness.deployment.resources, 'CampaignsTable').name;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['tools/campaign-report.ts', '--table', table, '--endpoint', endpoints.dynamodb, ...args],
      {
        cwd: new URL('../../', import.meta.url),
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('send → webhook → status loop against the simulator', () => {
  it('retries a capped recipient no sooner than the configured wait, up to the attempt cap', async () => {
    const recipients = Array.from({ length: 20 }, (_, i) => recipientNumber(6_100 + i));
    await harness.enqueue(
      [capped, optingOut, ...recipients].map((recipient) => aJob({ campaignId: 'loop', recipient, validitySeconds: 86_400 })),
    );
    const settledStates = ['delivered', 'read', 'limit_exhausted'];
    const jobs = await harness.waitForJobs(
      (all) => all.filter((j) => j.campaignId === 'loop' && settledStates.includes(j.state)).length === 22,
      45_000,
    );
    await harness.sim.webhooksIdle();
    await harness.quiet('StatusQueue');

    const cappedJob = jobs.find((j) => j.recipient === capped)!;
    expect(cappedJob).toMatchObject({ state: 'limit_exhausted', attempt: 3, apiCalls: 3, lastErrorCode: 131049 });
    const calls = harness.sim.calls().filter((c) => c.recipient === capped);
    expect(calls).toHaveLength(3);
    // The wait counts from the hit as Meta reports it, in whole seconds (the start of the second
    // the hit fell in), so an attempt can follow the previous call by up to 1 s less than the wait.
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - Math.floor(calls[i - 1]!.at / 1000) * 1000).toBeGreaterThanOrEqual(2_000);
    expect(await harness.user(capped)).toMatchObject({ limitHits: 3 });

    for (const recipient of recipients) expect(harness.sim.acceptedFor(recipient), recipient).toHaveLength(1);
    const figures = await harness.figures('loop');
    expect(figures.uniqueAccepted).toBe(22);
    expect(figures.uniqueDelivered).toBe(21);
    expect((figures.byState.delivered ?? 0) + (figures.byState.read ?? 0)).toBe(21);
    expect(figures.byState.limit_exhausted).toBe(1);
    expect(figures.retries).toMatchObject({ scheduled: 2, acceptedOnRetry: 2, deliveredAfterRetry: 0 });
    expect(figures.deliveryRate).toBeCloseTo(21 / 22);
    expect(harness.sim.webhookStats().duplicates).toBeGreaterThan(0);
  });

  it('never sends again to a recipient who pressed Stop', async () => {
    await expect.poll(async () => (await harness.user(optingOut))?.optedOut, { timeout: 15_000 }).toBe(true);
    await harness.enqueue([aJob({ campaignId: 'loop-2', recipient: optingOut })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'loop-2' && j.state === 'suppressed'));
    expect(harness.sim.calls().filter((c) => c.recipient === optingOut)).toHaveLength(1);
  });

  it('prints the campaign figures from DynamoDB with the report command', async () => {
    // The figures follow the jobs through the stream: counted up to now before the command reads them.
    const figures = await harness.figures('loop');
    const json = await report('--json', 'loop');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ campaignId: 'loop', ...figures });
    const text = await report('loop');
    expect(text.stdout).toMatch(/delivery rate\s+95\.5 %/);
    expect(text.stdout).toMatch(/limit_exhausted\s+1/);
    expect((await report('no-such-campaign')).code).toBe(1);
    expect((await report()).code).toBe(2);
  });
});
