import { describe, expect, it } from 'vitest';
import { audienceCsv, startCampaignHarness } from '../helpers/campaign-harness.ts';
import { baseScenario } from '../helpers/send-harness.ts';

/**
 * A failed campaign scheduled again by an operator, through the real ticker, feeder, send and
 * release functions: the audience object is replaced while the campaign sends (the feeder fails it
 * with AudienceChanged), the operator puts the original bytes back (the same bytes have the same
 * ETag, so the launch sees the same object) and sets the item's status to SCHEDULED; the ticker
 * launches it again and the feeder resumes from its checkpoint. Nobody gets the message twice.
 */
const RATE = 20;
const HORIZON_SECONDS = 30;
const harness = await startCampaignHarness(
  baseScenario(),
  // Held jobs (the campaign failed: the send path pauses it) look again after 2 s.
  { env: { PHONE_NUMBER_RATE_PER_SECOND: String(RATE), FEED_HORIZON_SECONDS: String(HORIZON_SECONDS), HOLD_SECONDS: '2' } },
  // The feeder waits for its share of the queue to drain: its looks must not move the clock.
  { realSleeps: true },
);

describe('a failed campaign scheduled again', () => {
  it('relaunches from its checkpoint when its audience is the same object again, and sends each recipient once', async () => {
    const rows = RATE * HORIZON_SECONDS + 40;
    const original = audienceCsv(rows);
    const etag = await harness.putAudience('again.csv', original);
    await harness.create(harness.aCampaign('again', { launch: { at: new Date(harness.now()).toISOString() } }));
    expect((await harness.deployment.tickCampaigns()).launched).toEqual(['again']);
    const launched = await harness.record('again');

    // The feeder has queued its share of the next 30 s; then the file is replaced under it.
    await harness.waitForCampaign('again', (record) => (record.feed?.checkpoint.row ?? 0) >= RATE * HORIZON_SECONDS);
    expect(await harness.putAudience('again.csv', audienceCsv(rows, 50_000))).not.toBe(etag);
    const failed = await harness.waitForCampaign('again', (record) => record.appliedStatus === 'FAILED');
    expect(failed.statusReason).toMatch(/changed/i);
    const checkpoint = failed.feed!.checkpoint;
    expect(checkpoint.row).toBeGreaterThanOrEqual(RATE * HORIZON_SECONDS);
    expect(checkpoint.row).toBeLessThan(rows);
    expect(failed.feed?.fedAt).toBeUndefined();
    // A failed campaign's queued jobs are held, not sent and not dropped. The feeder writes the
    // control item just after the campaign item: wait for it.
    await expect.poll(async () => (await harness.control('again'))?.status).toBe('PAUSED');

    // The operator puts the original file back (the same bytes: the same ETag) and schedules it again.
    expect(await harness.putAudience('again.csv', original)).toBe(etag);
    await harness.editItem('again', { status: 'SCHEDULED' });
    // The tick that applies the edit launches it too: its launch time has passed.
    expect((await harness.deployment.tickCampaigns()).launched).toEqual(['again']);
    const relaunched = await harness.record('again');
    expect(relaunched).toMatchObject({ appliedStatus: 'SENDING' });
    // The same object: the validity still counts from the first launch, and the feed goes on from the checkpoint.
    expect(relaunched.launch).toMatchObject({ launchedAt: launched.launch!.launchedAt, audienceEtag: etag });
    expect(relaunched.feed!.checkpoint.row).toBeGreaterThanOrEqual(checkpoint.row);
    expect(await harness.control('again')).toMatchObject({ status: 'RUNNING' });

    const fed = await harness.waitForCampaign('again', (record) => record.feed?.fedAt !== undefined, 40_000);
    expect(fed.feed).toMatchObject({ enqueued: rows, rejected: 0, duplicates: 0 });
    const jobs = await harness.waitForJobs(
      (all) => all.filter((job) => job.campaignId === 'again' && job.state === 'accepted').length === rows,
      60_000,
    );
    const recipients = new Set(jobs.filter((job) => job.campaignId === 'again').map((job) => job.recipient));
    expect(recipients.size).toBe(rows);
    // One MM API call per recipient, none for the replacement file's recipients.
    const calls = harness.sim.calls();
    expect(calls).toHaveLength(rows);
    expect(new Set(calls.map((call) => call.recipient))).toEqual(recipients);
    expect(await harness.counters('again')).not.toHaveProperty('duplicates');
  }, 90_000);
});
