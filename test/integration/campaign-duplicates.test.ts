import { queueOf, tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { createCampaignCounters } from '../../lib/adapters/dynamodb/campaign-counters.ts';
import { createAudienceReader } from '../../lib/adapters/s3/audience-reader.ts';
import { createRejectionReportWriter } from '../../lib/adapters/s3/rejection-report-writer.ts';
import { createCampaignJobQueue } from '../../lib/adapters/sqs/campaign-job-queue.ts';
import { createFeedTrigger } from '../../lib/adapters/sqs/feed-trigger.ts';
import { feedCampaign } from '../../lib/campaigns/feed-campaign.ts';
import { SANCTIONED_COUNTRIES } from '../../lib/domain/phone.ts';
import type { CampaignStore } from '../../lib/ports/campaign-store.ts';
import { reportCampaign } from '../../tools/campaign/report.ts';
import { startCampaignHarness } from '../helpers/campaign-harness.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario } from '../helpers/send-harness.ts';

/**
 * A recipient listed twice in the audience, on rows that two feeder runs read: the first run
 * stops at its deadline and the next invocation resumes from the checkpoint, without the first
 * run's memory of recipients. The send path's claim finds the second row (its dispatch id names
 * another row) and counts it as a duplicate; the recipient gets one message.
 *
 * The first run is `feedCampaign` itself, with the real adapters, a clock that reaches its
 * deadline once the first 100 rows are checkpointed (a real invocation reaches it after minutes),
 * and the lease that the launch's own feed would otherwise take; the second run is the deployed
 * feeder function, invoked through the feed queue as a feeder that stopped at its deadline does.
 */
const harness = await startCampaignHarness(baseScenario(), {}, { realSleeps: true });
const { clients } = useLocalStack();
const { resources } = harness.deployment;
const FIRST_RUN = 'test-first-run';
const ROWS = 150;
const number = (i: number) => `+49151${String(20_000 + i).padStart(8, '0')}`;

/** Row 2 and row 3 share a recipient (one run), and so do row 1 and the last row (two runs). */
function audience(): string {
  const lines = ['phone,first_name'];
  for (let row = 1; row <= ROWS; row++) {
    const recipient = row === 3 ? number(2) : row === ROWS ? number(1) : number(row);
    lines.push(`${recipient},Customer ${row}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('a recipient on two rows read by two feeder runs', () => {
  it('gets one message; the second row is counted as a duplicate and named in the report', async () => {
    await harness.putAudience('dups.csv', audience());
    await harness.create(harness.aCampaign('dups', { launch: { at: new Date(harness.now()).toISOString() } }));
    // The first run holds the lease from the start: the feed the launch starts finds it taken and stops.
    await harness.editItem('dups', { feedLease: { owner: FIRST_RUN, until: harness.now() + 600_000 } });
    expect((await harness.deployment.tickCampaigns()).launched).toEqual(['dups']);

    let pastDeadline = false;
    const store: CampaignStore = Object.create(harness.store);
    store.saveFeed = async (campaignId, lease, previousRow, feed) => {
      const saved = await harness.store.saveFeed(campaignId, lease, previousRow, feed);
      if (saved && feed.checkpoint.row >= 100) pastDeadline = true;
      return saved;
    };
    const deadline = harness.now() + 60_000;
    const first = await feedCampaign({
      campaignId: 'dups',
      store,
      audience: createAudienceReader(clients.s3),
      queue: createCampaignJobQueue(clients.sqs, queueOf(resources, 'SendQueue').url),
      rejections: createRejectionReportWriter(clients.s3),
      counters: createCampaignCounters(clients.documents, { tableName: tableOf(resources, 'CampaignsTable').name, shards: 10 }),
      sharing: async () => ({ totalWeight: 1 }),
      policy: { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] },
      owner: FIRST_RUN,
      now: () => harness.now() + (pastDeadline ? 3_600_000 : 0),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      deadline,
      logger: { info: () => {}, warn: () => {} },
    });
    expect(first).toMatchObject({ outcome: 'stopped-at-deadline', rowsRead: 100, enqueued: 99, duplicates: 1 });
    expect((await harness.record('dups')).lease).toBeUndefined();

    // As a feeder that stopped at its deadline does: the next invocation, through the feed queue.
    await createFeedTrigger(clients.sqs, queueOf(resources, 'FeedQueue').url).kick('dups');
    const fed = await harness.waitForCampaign('dups', (record) => record.feed?.fedAt !== undefined);
    // The second run did not know row 1's recipient: it enqueued the last row too.
    expect(fed.feed).toMatchObject({ enqueued: ROWS - 1, duplicates: 1, rejected: 0 });
    await expect.poll(() => harness.counters('dups'), { timeout: 30_000 }).toMatchObject({ duplicates: 1 });
    await harness.waitForJobs((all) => all.filter((job) => job.campaignId === 'dups' && job.state === 'accepted').length === ROWS - 2);

    expect(harness.sim.calls().filter((call) => call.recipient === number(1))).toHaveLength(1);
    expect(harness.sim.calls()).toHaveLength(ROWS - 2);
    await harness.deployment.tickCampaigns();
    // The feeder's duplicate (row 3) and the send path's (the last row).
    expect((await harness.record('dups')).progress).toMatchObject({ duplicates: 2, enqueued: ROWS - 1 });

    // The rejection report has the duplicate the feeder saw; the campaign report names both.
    const rejections = (await harness.readObject('dups.csv.rejections.csv')).trim().split('\n');
    expect(rejections).toEqual(['row,recipient,reason,detail', `3,+49*********02,duplicate,same recipient as row 2`]);
    const lines: string[] = [];
    const summary = await reportCampaign({
      campaignId: 'dups',
      mask: false,
      write: (line) => {
        lines.push(line);
      },
      out: () => {},
      campaigns: harness.store,
      counters: createCampaignCounters(clients.documents, { tableName: tableOf(resources, 'CampaignsTable').name, shards: 10 }),
      controls: { setCampaignStatus: async () => {} },
      feeds: { kick: async () => {} },
      s3: clients.s3,
      jobs: { doc: clients.documents, tableName: tableOf(resources, 'JobsTable').name },
      recipientPolicy: { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] },
      now: harness.now,
    });
    expect(summary).toMatchObject({ rows: ROWS, jobs: ROWS - 2, duplicates: 2, notSentYet: 0 });
    expect(lines).toContain(`3,${number(2)},duplicate of row 2`);
    expect(lines).toContain(`${ROWS},${number(1)},duplicate of row 1`);
    expect(lines.find((line) => line.startsWith(`1,${number(1)},`))).toMatch(/^1,\+\d+,accepted,\S+/);
  });
});
