import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoCampaignStore } from '../../lib/adapters/dynamodb/campaign-store.ts';
import { freshFeed } from '../../lib/campaigns/launch.ts';
import { type Campaign, campaignSchema } from '../../lib/domain/campaign-contract.ts';
import type { FeedState } from '../../lib/ports/campaign-store.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';

const { clients } = useLocalStack();
const resources = await createTestResources();
const table = resources.table('CampaignsTable').name;
const store = new DynamoCampaignStore(clients.documents, { tableName: table });
const NOW = Date.parse('2026-12-04T10:00:00Z');

function aCampaign(campaignId: string): Campaign {
  return campaignSchema.parse({
    schemaVersion: 1,
    campaignId,
    phoneNumberId: '100000000000001',
    template: { name: 'autumn_sale', language: 'en_US', body: [{ column: 'first_name' }] },
    audience: { bucket: 'audiences', key: `${campaignId}.csv`, format: 'csv' },
    launch: { at: '2026-12-04T10:05:00Z' },
  });
}

const EMPTY_FEED: FeedState = freshFeed();
const FACTS = {
  launchedAt: NOW,
  audienceEtag: '"e1"',
  audienceSize: 100,
  ratePerSecond: 80,
  validitySeconds: 86_400,
  templateTtlSeconds: 86_400,
};

describe('the campaign store on DynamoDB', () => {
  it('creates a campaign once, as SCHEDULED, with the definition readable back', async () => {
    expect(await store.create(aCampaign('c-create'), NOW)).toBe(true);
    expect(await store.create(aCampaign('c-create'), NOW)).toBe(false);
    const record = await store.get('c-create');
    expect(record).toMatchObject({ status: 'SCHEDULED', appliedStatus: 'SCHEDULED', definition: aCampaign('c-create') });
    expect(record?.definitionProblem).toBeUndefined();
  });

  it('lists the campaigns that are not final from the index, including an item written by hand in the console', async () => {
    await store.create(aCampaign('c-open'), NOW);
    await store.create(aCampaign('c-done'), NOW);
    await store.applyStatus({ campaignId: 'c-done', from: 'SCHEDULED', to: 'CANCELLED', asked: 'SCHEDULED', actor: 'operator', now: NOW });
    // An operator's own item: the campaign file's fields, a status, no appliedStatus.
    await clients.documents.send(
      new PutCommand({ TableName: table, Item: { ...aCampaign('c-console'), item: 'campaign', status: 'SCHEDULED' } }),
    );
    // The counters beside a campaign are not campaigns.
    await clients.documents.send(new PutCommand({ TableName: table, Item: { campaignId: 'c-open', item: 'counters#3', enqueued: 5 } }));
    const open = (await store.listOpen()).map((record) => record.campaignId);
    expect(open).toEqual(expect.arrayContaining(['c-open', 'c-console']));
    expect(open).not.toContain('c-done');
    const consoleItem = await store.get('c-console');
    expect(consoleItem?.appliedStatus).toBeUndefined();
    expect(consoleItem?.definition?.campaignId).toBe('c-console');
  });

  it('keeps a campaign in the open list while an operator asked a final status the sender has not applied yet', async () => {
    await store.create(aCampaign('c-asked-cancel'), NOW);
    await store.requestStatus('c-asked-cancel', 'CANCELLED', NOW);
    expect((await store.listOpen()).map((record) => record.campaignId)).toContain('c-asked-cancel');
  });

  it('applies a status change only while both statuses are as they were read', async () => {
    await store.create(aCampaign('c-cas'), NOW);
    const change = { campaignId: 'c-cas', from: 'SCHEDULED', to: 'LAUNCHING', asked: 'SCHEDULED', actor: 'trigger', now: NOW } as const;
    expect(await store.applyStatus(change)).toBe(true);
    // A second trigger decided from the same reading: refused, so a launch happens once.
    expect(await store.applyStatus(change)).toBe(false);
    await store.requestStatus('c-cas', 'CANCELLED', NOW);
    // An operator's edit since the reading refuses the sender's write.
    expect(await store.applyStatus({ ...change, from: 'LAUNCHING', to: 'FAILED', asked: 'LAUNCHING' })).toBe(false);
    expect(await store.get('c-cas')).toMatchObject({ status: 'CANCELLED', appliedStatus: 'LAUNCHING' });
  });

  it('reports an item the contract no longer reads, naming the broken field', async () => {
    await clients.documents.send(
      new PutCommand({
        TableName: table,
        Item: { ...aCampaign('c-broken'), item: 'campaign', status: 'SCHEDULED', launch: { at: 'Friday' } },
      }),
    );
    const record = await store.get('c-broken');
    expect(record?.definition).toBeUndefined();
    expect(record?.definitionProblem).toMatch(/^launch/);
  });

  it('writes a refusal once per refused value and clears it when a change is applied', async () => {
    await store.create(aCampaign('c-refusal'), NOW);
    await store.requestStatus('c-refusal', 'paused', NOW);
    const refusal = { asked: 'paused', reason: 'status "paused" is not a status the sender knows', at: new Date(NOW).toISOString() };
    await store.recordRefusal('c-refusal', refusal);
    await store.recordRefusal('c-refusal', { ...refusal, at: new Date(NOW + 60_000).toISOString() });
    expect((await store.get('c-refusal'))?.refusal).toEqual(refusal);
    await store.requestStatus('c-refusal', 'CANCELLED', NOW);
    await store.applyStatus({
      campaignId: 'c-refusal',
      from: 'SCHEDULED',
      to: 'CANCELLED',
      asked: 'CANCELLED',
      actor: 'operator',
      now: NOW,
    });
    expect((await store.get('c-refusal'))?.refusal).toBeUndefined();
  });

  it('records a launch with its facts, and lets one feeder at a time hold the lease and move the checkpoint', async () => {
    await store.create(aCampaign('c-feed'), NOW);
    await store.applyStatus({ campaignId: 'c-feed', from: 'SCHEDULED', to: 'LAUNCHING', asked: 'SCHEDULED', actor: 'trigger', now: NOW });
    const launch = { campaignId: 'c-feed', from: 'LAUNCHING', to: 'SENDING', asked: 'LAUNCHING', actor: 'trigger', now: NOW } as const;
    expect(await store.recordLaunch(launch, FACTS, EMPTY_FEED)).toBe(true);
    const mine = { owner: 'feeder-a', until: NOW + 60_000 };
    expect(await store.takeFeedLease('c-feed', mine, NOW)).toEqual(EMPTY_FEED);
    expect(await store.takeFeedLease('c-feed', { owner: 'feeder-b', until: NOW + 60_000 }, NOW + 1_000)).toBeUndefined();
    const next = { ...EMPTY_FEED, checkpoint: { offset: 40, row: 2 }, enqueued: 2 };
    expect(await store.saveFeed('c-feed', mine, 0, next)).toBe(true);
    // A stale checkpoint (another feeder's view) is refused.
    expect(await store.saveFeed('c-feed', mine, 0, next)).toBe(false);
    // After the lease ran out, another feeder takes over from the saved checkpoint; the first can no longer save.
    expect(await store.takeFeedLease('c-feed', { owner: 'feeder-b', until: NOW + 200_000 }, NOW + 61_000)).toEqual(next);
    expect(await store.saveFeed('c-feed', mine, 2, { ...next, checkpoint: { offset: 60, row: 3 } })).toBe(false);
    expect(await store.get('c-feed')).toMatchObject({ appliedStatus: 'SENDING', launch: FACTS, feed: next });
  });
});
