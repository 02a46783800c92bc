import { describe, expect, it } from 'vitest';
import { createCampaignCounters } from '../../lib/adapters/dynamodb/campaign-counters.ts';
import { createJobStore } from '../../lib/adapters/dynamodb/job-store.ts';
import { validateJobBody } from '../../lib/domain/validate-job.ts';
import { BatchTally } from '../../lib/jobs/batch-tally.ts';
import { jobKeyOf } from '../../lib/jobs/job-record.ts';
import { countingStateChanges } from '../../lib/jobs/state-gauges.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';

/**
 * The job store's counted writes on DynamoDB Local: a job change and its counter deltas are one
 * transaction, conditional on the state the deltas were computed from; a refusal writes neither
 * and hands back the item as it is.
 */
const { clients } = useLocalStack();
const resources = await createTestResources();
const campaignsTable = resources.table('CampaignsTable').name;
const store = createJobStore(clients.documents, {
  tableName: resources.table('JobsTable').name,
  retentionDays: 1,
  counters: { tableName: campaignsTable, shards: 3 },
});
const counters = createCampaignCounters(clients.documents, { tableName: campaignsTable, shards: 3 });

function validJob(campaignId: string, n: number) {
  const validation = validateJobBody(JSON.stringify(aJob({ campaignId, recipient: recipientNumber(6_000 + n) })), {
    blockedCountries: [],
    blockedPrefixes: [],
  });
  if (!validation.ok) throw new Error(validation.rejection.reason);
  return validation.job;
}

async function acceptedJob(campaignId: string, n: number) {
  const job = validJob(campaignId, n);
  const jobs = countingStateChanges(store, new BatchTally());
  const claim = { job, token: `t${n}`, now: Date.now(), createdAt: Date.now(), validUntil: Date.now() + 3_600_000 };
  expect(await jobs.claim({ ...claim, state: 'sending' })).toMatchObject({ claimed: true, record: { claimedFrom: 'none' } });
  const decision = { state: 'accepted', wamid: `wamid.${n}`, messageStatus: 'accepted' } as const;
  expect(await jobs.recordDecision({ jobKey: jobKeyOf(campaignId, job.recipient), token: `t${n}`, decision, now: Date.now() })).toBe(true);
  return jobKeyOf(campaignId, job.recipient);
}

describe('counted job writes', () => {
  it('write the job change and its counts together', async () => {
    const jobKey = await acceptedJob('counted', 1);
    expect(await counters.read('counted')).toMatchObject({ state_accepted: 1, uniqueAccepted: 1 });
    const jobs = countingStateChanges(store, new BatchTally());
    expect(await jobs.applyProgress(jobKey, 'wamid.1', { state: 'delivered', deliveredAt: Date.now() })).toMatchObject({ written: true });
    expect(await counters.read('counted')).toMatchObject({ state_accepted: 0, state_delivered: 1, uniqueAccepted: 1, uniqueDelivered: 1 });
    expect(await store.get(jobKey)).toMatchObject({ state: 'delivered' });
  });

  it('write neither when the job is no longer in the state the counts were computed from, and hand back the item', async () => {
    const jobKey = await acceptedJob('refused', 2);
    const before = await counters.read('refused');
    const stale = { deltas: { state_sent: -1, state_delivered: 1 }, observedState: 'sent' } as const;
    const write = await store.applyProgress(jobKey, 'wamid.2', { state: 'delivered', deliveredAt: Date.now() }, stale);
    expect(write).toMatchObject({ written: false, current: { jobKey, state: 'accepted', wamid: 'wamid.2' } });
    expect(await counters.read('refused')).toEqual(before);
    expect(await store.get(jobKey)).toMatchObject({ state: 'accepted' });
  });
});
