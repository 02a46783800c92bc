import { describe, expect, it } from 'vitest';
import { parseCallbackData } from '../../lib/domain/callback-data.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { statusSteps } from '../helpers/status-steps.ts';

/**
 * A send whose answer is lost (the request timed out after "Meta" took it) ends `unknown`; the
 * message's statuses echo the dispatch reference in `biz_opaque_callback_data`, and the status
 * function settles the job with their wamid.
 */
const slow = recipientNumber(7_100);
const notTaken = recipientNumber(7_101);
const harness = await startSendHarness(
  baseScenario({
    webhooks: { appSecret: 'local-app-secret', delayMs: { min: 20, max: 60 }, readRate: 0 },
    rules: [
      { name: 'answer-lost', recipients: [slow], latencyMs: 2_500 },
      { name: 'never-answered', recipients: [notTaken], timeout: true },
    ],
  }),
  { env: { META_REQUEST_TIMEOUT_MS: '800' } },
);
harness.sim.setWebhookTarget(harness.deployment.webhookUrl);
const steps = statusSteps(harness);

describe('reconciling an unknown job by the callback data its statuses echo', () => {
  it('sends the dispatch reference with the job’s own data, and settles the job with the status’s wamid', async () => {
    await harness.enqueue([aJob({ campaignId: 'recon-cb', recipient: slow, callbackData: 'crm=42' })]);
    const job = await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'recon-cb' && j.reconciledBy !== undefined), 20_000);
    const settled = job.find((j) => j.campaignId === 'recon-cb')!;
    const [call] = harness.sim.calls().filter((c) => c.recipient === slow);
    const sentData = parseCallbackData((call!.body as { biz_opaque_callback_data: string }).biz_opaque_callback_data);
    expect(sentData).toEqual({ ref: { campaignId: 'recon-cb', token: settled.claimToken }, jobData: 'crm=42' });
    expect(settled).toMatchObject({ wamid: call!.wamid, reconciledBy: 'callback_data', apiCalls: 1 });
    const delivered = await steps.stateOf(settled, 'delivered');
    expect(delivered.lastErrorReason).toBeUndefined();
    expect(harness.sim.calls().filter((c) => c.recipient === slow)).toHaveLength(1);
    const figures = await harness.figures('recon-cb');
    expect(figures.byState).toEqual({ delivered: 1 });
    expect(figures.uniqueAccepted).toBe(1);
  });

  it('leaves a job unknown when no status names it (Meta never took the request)', async () => {
    await harness.enqueue([aJob({ campaignId: 'recon-none', recipient: notTaken })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'recon-none' && j.state === 'unknown'), 20_000);
    // A status naming this job but another claim (an earlier dispatch) settles nothing: it is handed back.
    const handedBack = () => harness.deployment.sources.status!.stats().failures;
    const before = handedBack();
    await steps.post([{ wamid: 'wamid.other', status: 'sent', recipient: notTaken, callbackData: 'wms1#recon-none#not-its-token#' }]);
    await expect.poll(handedBack, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(await harness.job('recon-none', notTaken)).toMatchObject({ state: 'unknown' });
    expect((await harness.job('recon-none', notTaken))?.reconciledBy).toBeUndefined();
  });
});
