import { describe, expect, it } from 'vitest';
import { audienceCsv, startCampaignHarness } from '../helpers/campaign-harness.ts';
import { baseScenario } from '../helpers/send-harness.ts';

/**
 * A campaign's lifecycle through the real ticker, feeder, send and status functions on the local
 * stack, with the MM API simulator's Graph API for the preflight: the launch at its time (once,
 * however many ticks), console edits of the item (launch time, status, a refused typo), and
 * completion with the final figures on the item.
 */
const harness = await startCampaignHarness(
  baseScenario({
    templates: [
      { name: 'autumn_sale', category: 'MARKETING', languages: ['en_US', 'de_DE'], bodyParams: 1, ttlSeconds: 86_400 },
      { name: 'order_update', category: 'UTILITY', languages: ['en_US'], bodyParams: 1 },
    ],
    webhooks: { appSecret: 'local-app-secret', delayMs: { min: 10, max: 60 } },
  }),
  // 20 sends a second, so a pause lands while a campaign sends; held jobs look again after 2 s.
  { env: { PHONE_NUMBER_RATE_PER_SECOND: '20', HOLD_SECONDS: '2' } },
);

harness.sim.setWebhookTarget(harness.deployment.webhookUrl);
const DELIVERED: readonly string[] = ['delivered', 'read'];

describe('a campaign from its item', () => {
  it('launches once at its time however many ticks run, feeds the audience, sends it and completes with its figures', async () => {
    await harness.putAudience('once.csv', audienceCsv(30));
    await harness.create(harness.aCampaign('once', { launch: { at: new Date(harness.now() + 5_000).toISOString() } }));
    // Triggers arrive at least once: three ticks at the same time launch it once.
    const ticks = await Promise.all([
      harness.deployment.tickCampaigns(),
      harness.deployment.tickCampaigns(),
      harness.deployment.tickCampaigns(),
    ]);
    expect(ticks.flatMap((tick) => tick.launched)).toEqual(['once']);
    const sending = await harness.record('once');
    expect(sending).toMatchObject({
      appliedStatus: 'SENDING',
      launch: { ratePerSecond: 20, templateTtlSeconds: 86_400, validitySeconds: 86_400 },
    });
    const jobs = await harness.waitForJobs(
      (all) => all.filter((job) => job.campaignId === 'once' && DELIVERED.includes(job.state)).length === 30,
    );
    expect(new Set(jobs.filter((job) => job.campaignId === 'once').map((job) => job.recipient)).size).toBe(30);
    await harness.quiet('StatusQueue');
    // The figures follow the job changes through the stream: counted before the tick that completes.
    await harness.deployment.countsCaughtUp();
    await harness.deployment.tickCampaigns();
    const done = await harness.record('once');
    expect(done).toMatchObject({
      appliedStatus: 'COMPLETED',
      status: 'COMPLETED',
      progress: { rowsRead: 30, enqueued: 30, delivered: 30, waiting: 0 },
    });
    expect(done.figures).toMatchObject({ uniqueAccepted: 30, uniqueDelivered: 30 });
    expect(harness.sim.stats().total).toBeGreaterThanOrEqual(30);
  });

  it('waits for a launch time an operator moved later in the console, and launches at the new time', async () => {
    await harness.putAudience('moved.csv', audienceCsv(3, 100));
    await harness.create(harness.aCampaign('moved', { launch: { at: new Date(harness.now() + 5_000).toISOString() } }));
    await harness.editItem('moved', { launch: { at: new Date(harness.now() + 10 * 60_000).toISOString() } });
    expect((await harness.deployment.tickCampaigns()).launched).not.toContain('moved');
    expect(await harness.record('moved')).toMatchObject({ appliedStatus: 'SCHEDULED' });
    harness.advance(9.5 * 60_000);
    expect((await harness.deployment.tickCampaigns()).launched).toContain('moved');
  });

  it('refuses a status it does not know, loudly on the item, and applies the value meant at the next tick', async () => {
    await harness.putAudience('typo.csv', audienceCsv(3, 200));
    await harness.create(harness.aCampaign('typo', { launch: { at: new Date(harness.now() + 3_600_000).toISOString() } }));
    await harness.editItem('typo', { status: 'paused' });
    const tick = await harness.deployment.tickCampaigns();
    expect(tick.refused).toContain('typo');
    const refused = await harness.record('typo');
    expect(refused).toMatchObject({ status: 'paused', appliedStatus: 'SCHEDULED' });
    expect(refused.refusal?.reason).toMatch(/not a status the sender knows; did you mean PAUSED\?/);
    // A scheduled campaign cannot be paused: the lifecycle names what an operator may do.
    await harness.editItem('typo', { status: 'PAUSED' });
    await harness.deployment.tickCampaigns();
    expect((await harness.record('typo')).refusal?.reason).toMatch(
      /PAUSED is not allowed after SCHEDULED; from SCHEDULED an operator may set CANCELLED/,
    );
    await harness.editItem('typo', { status: 'CANCELLED' });
    await harness.deployment.tickCampaigns();
    const cancelled = await harness.record('typo');
    expect(cancelled).toMatchObject({ status: 'CANCELLED', appliedStatus: 'CANCELLED' });
    expect(cancelled.refusal).toBeUndefined();
    expect(await harness.control('typo')).toMatchObject({ status: 'CANCELLED' });
  });

  it('pauses from a console edit within a tick: nothing more is sent, the queued jobs are held, and a resume sends the rest', async () => {
    await harness.putAudience('paused.csv', audienceCsv(200, 300));
    await harness.create(harness.aCampaign('paused', { launch: { at: new Date(harness.now()).toISOString() } }));
    await harness.deployment.tickCampaigns();
    const accepted = async () => (await harness.allJobs()).filter((job) => job.campaignId === 'paused' && job.state !== 'sending').length;
    while ((await accepted()) < 10) await new Promise((resolve) => setTimeout(resolve, 50));
    await harness.editItem('paused', { status: 'PAUSED' });
    await harness.deployment.tickCampaigns();
    expect(await harness.record('paused')).toMatchObject({ appliedStatus: 'PAUSED' });
    expect(await harness.control('paused')).toMatchObject({ status: 'PAUSED', pausedBy: 'operator' });
    // Whatever was in flight settles; then nothing more is sent while paused.
    await harness.quiet('FeedQueue');
    await harness.quiet('SendQueue');
    const sentWhilePausing = await accepted();
    await harness.quiet('SendQueue');
    expect(await accepted()).toBe(sentWhilePausing);
    expect(sentWhilePausing).toBeLessThan(200);
    await harness.editItem('paused', { status: 'SENDING' });
    await harness.deployment.tickCampaigns();
    expect(await harness.control('paused')).toMatchObject({ status: 'RUNNING' });
    const jobs = await harness.waitForJobs(
      (all) => all.filter((job) => job.campaignId === 'paused' && DELIVERED.includes(job.state)).length === 200,
      40_000,
    );
    // Exactly one MM API call per recipient, pause or not.
    const recipients = jobs.filter((job) => job.campaignId === 'paused').map((job) => job.recipient);
    const calls = harness.sim.calls().filter((call) => recipients.includes(call.recipient ?? ''));
    expect(calls).toHaveLength(200);
  }, 90_000);

  it('fails a launch whose preflight refuses it, with the reason on the item and nothing enqueued', async () => {
    await harness.putAudience('utility.csv', audienceCsv(5, 400));
    await harness.create(
      harness.aCampaign('utility', {
        launch: { at: new Date(harness.now()).toISOString() },
        template: { name: 'order_update', language: 'en_US', body: [{ column: 'first_name' }] },
      }),
    );
    await harness.deployment.tickCampaigns();
    const failed = await harness.record('utility');
    expect(failed).toMatchObject({ appliedStatus: 'FAILED' });
    expect(failed.statusReason).toMatch(/preflight failed: .*MARKETING/);
    expect(failed.feed).toBeUndefined();
    expect((await harness.allJobs()).filter((job) => job.campaignId === 'utility')).toEqual([]);
  });
});
