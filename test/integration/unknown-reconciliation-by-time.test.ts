import { describe, expect, it } from 'vitest';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { statusSteps } from '../helpers/status-steps.ts';

/**
 * With callback data switched off (META_SEND_CALLBACK_DATA=false) a status carries no dispatch
 * reference: it settles the recipient's one `unknown` job claimed within the window before it.
 */
const slow = recipientNumber(7_200);
const twice = recipientNumber(7_201);
const early = recipientNumber(7_202);
const harness = await startSendHarness(
  baseScenario({
    webhooks: { appSecret: 'local-app-secret', delayMs: { min: 20, max: 60 }, readRate: 0 },
    rules: [
      { name: 'answer-lost', recipients: [slow], latencyMs: 2_500 },
      { name: 'never-answered', recipients: [twice, early], timeout: true },
    ],
  }),
  { env: { META_REQUEST_TIMEOUT_MS: '800', META_SEND_CALLBACK_DATA: 'false' } },
);
harness.sim.setWebhookTarget(harness.deployment.webhookUrl);
const steps = statusSteps(harness);
const handedBack = () => harness.deployment.sources.status!.stats().failures;

describe('reconciling an unknown job by recipient and time (no callback data)', () => {
  it('settles the recipient’s one unknown job with the status’s wamid', async () => {
    await harness.enqueue([aJob({ campaignId: 'recon-time', recipient: slow, callbackData: 'crm=7' })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'recon-time' && j.reconciledBy !== undefined), 20_000);
    const [call] = harness.sim.calls().filter((c) => c.recipient === slow);
    expect(call!.body).not.toHaveProperty('biz_opaque_callback_data');
    const job = await harness.job('recon-time', slow);
    expect(job).toMatchObject({ wamid: call!.wamid, reconciledBy: 'recipient_time' });
    await steps.stateOf(job!, 'delivered');
  });

  it('matches nothing when the recipient has two unknown jobs', async () => {
    await harness.enqueue([aJob({ campaignId: 'time-a', recipient: twice }), aJob({ campaignId: 'time-b', recipient: twice })]);
    await harness.waitForJobs((all) => all.filter((j) => j.recipient === twice && j.state === 'unknown').length === 2, 30_000);
    const before = handedBack();
    await steps.post([{ wamid: 'wamid.ambiguous', status: 'sent', recipient: twice }]);
    await expect.poll(handedBack, { timeout: 10_000 }).toBeGreaterThan(before);
    const jobs = (await harness.allJobs()).filter((j) => j.recipient === twice);
    expect(jobs.map((j) => [j.state, j.reconciledBy])).toEqual([
      ['unknown', undefined],
      ['unknown', undefined],
    ]);
  });

  it('matches nothing for a status dated before the job was claimed', async () => {
    await harness.enqueue([aJob({ campaignId: 'time-old', recipient: early })]);
    const [job] = (await harness.waitForJobs((all) => all.some((j) => j.recipient === early && j.state === 'unknown'), 20_000)).filter(
      (j) => j.recipient === early,
    );
    const before = handedBack();
    const aMinuteBeforeClaim = Math.floor(Date.parse(job!.claimedAt!) / 1000) - 60;
    await steps.post([{ wamid: 'wamid.earlier', status: 'sent', recipient: early, timestamp: aMinuteBeforeClaim }]);
    await expect.poll(handedBack, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(await harness.job('time-old', early)).toMatchObject({ state: 'unknown' });
  });
});
