import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import { DynamoCampaignStore } from '../../lib/adapters/dynamodb/campaign-store.ts';
import { createAudienceReader } from '../../lib/adapters/s3/audience-reader.ts';
import { createRejectionReportWriter, rejectionReportKey } from '../../lib/adapters/s3/rejection-report-writer.ts';
import { createCampaignJobQueue } from '../../lib/adapters/sqs/campaign-job-queue.ts';
import { type FeedContext, type FeedResult, feedCampaign, MAX_CYCLE_ROWS } from '../../lib/campaigns/feed-campaign.ts';
import { freshFeed } from '../../lib/campaigns/launch.ts';
import { type Campaign, campaignSchema } from '../../lib/domain/campaign-contract.ts';
import type { CampaignStore, FeedState } from '../../lib/ports/campaign-store.ts';
import type { CampaignJobQueue } from '../../lib/ports/send-queue-feed.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';
import { MemoryCampaignCounters, MemoryCampaignStore } from '../helpers/memory-campaign-store.ts';

const { clients } = useLocalStack();
const bucket = `feed-${randomBytes(4).toString('hex')}`;
await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
const reader = createAudienceReader(clients.s3);
const writer = createRejectionReportWriter(clients.s3);

// 11:00 in Berlin (inside 09:00–21:00), 05:00 in New York (opens 14:00Z), 02:00 in Los Angeles (opens 17:00Z).
const NOW = Date.parse('2026-12-04T10:00:00Z');
const LAUNCHED_AT = Date.parse('2026-12-04T04:00:00Z');
// 12 hours from the launch: valid until 16:00Z, after New York's window opens and before Los Angeles' does.
const VALIDITY_SECONDS = 43_200;
const NEW_YORK_OPENS = '2026-12-04T14:00:00.000Z';
const POLICY = { blockedCountries: [], blockedPrefixes: [] };
const silent = { info: () => undefined, warn: () => undefined } as unknown as FeedContext['logger'];

type Expected =
  | { row: number; kind: 'job' | 'wait' }
  | { row: number; kind: 'rejected'; reason: string }
  | { row: number; kind: 'duplicate'; firstRow: number };

/**
 * An audience of `rows` German mobiles with, at fixed rows: an invalid number, an empty mapped
 * column, a repeated recipient (unless `duplicates` is false), and recipients in New York (wait
 * for the window), Los Angeles (window after the validity) and an unknown zone.
 */
function anAudience(rows: number, { duplicates = true, clean = false } = {}): { csv: string; expected: Expected[] } {
  const lines = ['phone,first_name,tz'];
  const expected: Expected[] = [];
  const firstRowOf = new Map<string, number>();
  for (let row = 1; row <= rows; row++) {
    let phone = `+4915112${String(row).padStart(6, '0')}`;
    let name = `Name ${row}`;
    let tz = '';
    let outcome: Expected;
    if (!clean && row % 50 === 0) {
      phone = 'not-a-number';
      outcome = { row, kind: 'rejected', reason: 'invalid_recipient' };
    } else if (!clean && row % 77 === 0) {
      name = '';
      outcome = { row, kind: 'rejected', reason: 'schema_violation' };
    } else if (!clean && duplicates && row % 100 === 3 && firstRowOf.has(`+4915112${String(row - 1).padStart(6, '0')}`)) {
      phone = `+4915112${String(row - 1).padStart(6, '0')}`;
      outcome = { row, kind: 'duplicate', firstRow: firstRowOf.get(phone)! };
    } else if (!clean && row % 40 === 7) {
      tz = 'America/New_York';
      outcome = { row, kind: 'wait' };
    } else if (!clean && row % 40 === 9) {
      tz = 'America/Los_Angeles';
      outcome = { row, kind: 'rejected', reason: 'expired' };
    } else if (!clean && row % 40 === 11) {
      tz = 'Not/AZone';
      outcome = { row, kind: 'rejected', reason: 'invalid_time_zone' };
    } else outcome = { row, kind: 'job' };
    if (outcome.kind === 'job' || outcome.kind === 'wait') firstRowOf.set(phone, row);
    lines.push(`${phone},${name},${tz}`);
    expected.push(outcome);
  }
  return { csv: `${lines.join('\r\n')}\r\n`, expected };
}

function aCampaign(campaignId: string, key: string): Campaign {
  return campaignSchema.parse({
    schemaVersion: 1,
    campaignId,
    phoneNumberId: '100000000000001',
    template: { name: 'autumn_sale', language: 'en_US', body: [{ column: 'first_name' }] },
    audience: { bucket, key, format: 'csv', timeZoneColumn: 'tz' },
    launch: { at: new Date(LAUNCHED_AT).toISOString() },
    validitySeconds: VALIDITY_SECONDS,
    sendWindow: { from: '09:00', until: '21:00', defaultTimeZone: 'Europe/Berlin' },
  });
}

const EMPTY_FEED: FeedState = freshFeed();

interface Setup {
  campaign: Campaign;
  expected: Expected[];
  queueUrl: string;
  etag: string;
}

/** Uploads an audience and launches its campaign in the store: SENDING, with the launch's facts. */
async function launched(
  store: CampaignStore,
  rows: number,
  options: { duplicates?: boolean; clean?: boolean; rate?: number } = {},
): Promise<Setup> {
  const campaignId = `c-${randomBytes(4).toString('hex')}`;
  const { csv, expected } = anAudience(rows, options);
  const key = `audiences/${campaignId}.csv`;
  const { ETag } = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv }));
  const campaign = aCampaign(campaignId, key);
  const facts = {
    launchedAt: LAUNCHED_AT,
    audienceEtag: ETag!,
    audienceSize: Buffer.byteLength(csv),
    ratePerSecond: options.rate ?? 1_000,
    validitySeconds: VALIDITY_SECONDS,
    templateTtlSeconds: VALIDITY_SECONDS,
  };
  await store.create(campaign, NOW);
  await store.applyStatus({ campaignId, from: 'SCHEDULED', to: 'LAUNCHING', asked: 'SCHEDULED', actor: 'trigger', now: NOW });
  const change = { campaignId, from: 'LAUNCHING', to: 'SENDING', asked: 'LAUNCHING', actor: 'trigger', now: NOW } as const;
  expect(await store.recordLaunch(change, facts, EMPTY_FEED)).toBe(true);
  const queueUrl = (await createTestResources()).queue('SendQueue').url;
  return { campaign, expected, queueUrl, etag: ETag! };
}

interface FeederOptions {
  store: CampaignStore;
  setup: Setup;
  clock: { now: number };
  counters?: MemoryCampaignCounters;
  queue?: CampaignJobQueue;
  owner?: string;
  sleep?: FeedContext['sleep'];
  totalWeight?: number;
}

function feeder({ store, setup, clock, counters, queue, owner, sleep, totalWeight }: FeederOptions): FeedContext {
  return {
    campaignId: setup.campaign.campaignId,
    store,
    audience: reader,
    queue: queue ?? createCampaignJobQueue(clients.sqs, setup.queueUrl),
    rejections: writer,
    counters: counters ?? new MemoryCampaignCounters(),
    sharing: async () => ({ totalWeight: totalWeight ?? 1 }),
    policy: POLICY,
    owner: owner ?? 'feeder-1',
    now: () => clock.now,
    sleep: sleep ?? (async (ms) => void (clock.now += ms)),
    deadline: NOW + 10 * 60_000,
    logger: silent,
  };
}

/** Every message on the queue (hidden for 10 minutes once read, so each is read once). */
async function drain(queueUrl: string): Promise<Array<Record<string, unknown>>> {
  const bodies: Array<Record<string, unknown>> = [];
  for (let empty = 0; empty < 2; ) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600, WaitTimeSeconds: 0 }),
    );
    empty = Messages.length === 0 ? empty + 1 : 0;
    bodies.push(...Messages.map((message) => JSON.parse(message.Body!) as Record<string, unknown>));
  }
  return bodies;
}

const rowOf = (body: Record<string, unknown>) => Number(String(body.dispatchId).slice('row-'.length));

async function reportLines(campaign: Campaign): Promise<string[]> {
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: rejectionReportKey(campaign.audience.key) }));
  return (await object.Body!.transformToString()).trimEnd().split('\n');
}

async function partsLeft(campaign: Campaign): Promise<number> {
  const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${campaign.audience.key}.rejections/` }));
  return listed.KeyCount ?? 0;
}

/** A queue that puts `succeeding` groups on the real queue, then puts the next one and fails before the feeder can checkpoint it. */
function crashingQueue(real: CampaignJobQueue, succeeding: number): CampaignJobQueue {
  let calls = 0;
  return {
    async enqueue(jobs) {
      await real.enqueue(jobs);
      if (++calls > succeeding) throw new Error('feeder killed after the enqueue');
    },
  };
}

/**
 * The store of a feeder that is killed: it never gives its lease back, and (with `savesBeforeDeath`)
 * dies at the checkpoint after that many.
 */
function killed(store: CampaignStore, savesBeforeDeath = Number.POSITIVE_INFINITY): CampaignStore {
  let saves = 0;
  return Object.assign(Object.create(store) as CampaignStore, {
    releaseFeedLease: async () => undefined,
    saveFeed: (...args: Parameters<CampaignStore['saveFeed']>) => {
      if (++saves > savesBeforeDeath) throw new Error('feeder killed before the checkpoint');
      return store.saveFeed(...args);
    },
  });
}

/** A queue that does something after its n-th call (the feeder's surroundings changing mid-feed). */
function queueThatAfter(real: CampaignJobQueue, calls: number, action: () => Promise<void> | void): CampaignJobQueue {
  let made = 0;
  return {
    async enqueue(jobs) {
      await real.enqueue(jobs);
      if (++made === calls) await action();
    },
  };
}

const stores: Array<[string, () => Promise<CampaignStore>]> = [
  ['in memory', async () => new MemoryCampaignStore()],
  [
    'on DynamoDB',
    async () => {
      const table = (await createTestResources()).table('CampaignsTable').name;
      return new DynamoCampaignStore(clients.documents, { tableName: table });
    },
  ],
];

describe('feeding a campaign', () => {
  it.each(stores)('enqueues every valid row exactly once and reports the others (store %s)', async (_name, makeStore) => {
    const store = await makeStore();
    const setup = await launched(store, 1_234);
    const result = await feedCampaign(feeder({ store, setup, clock: { now: NOW } }));

    const jobs = setup.expected.filter((row) => row.kind === 'job' || row.kind === 'wait');
    const rejected = setup.expected.filter((row) => row.kind === 'rejected');
    const duplicates = setup.expected.filter((row) => row.kind === 'duplicate');
    expect(duplicates.length).toBeGreaterThan(5);
    expect(result).toEqual({
      outcome: 'fed',
      rowsRead: 1_234,
      enqueued: jobs.length,
      rejected: rejected.length,
      duplicates: duplicates.length,
    });

    const bodies = await drain(setup.queueUrl);
    expect(bodies.map(rowOf).sort((a, b) => a - b)).toEqual(jobs.map((row) => row.row));
    const waiting = new Set(jobs.filter((row) => row.kind === 'wait').map((row) => row.row));
    for (const body of bodies) {
      expect(body.dispatchId).toBe(`row-${String(rowOf(body)).padStart(10, '0')}`);
      expect(body.createdAt).toBe(new Date(LAUNCHED_AT).toISOString());
      expect(body.notBefore).toBe(waiting.has(rowOf(body)) ? NEW_YORK_OPENS : undefined);
    }

    const lines = await reportLines(setup.campaign);
    expect(lines[0]).toBe('row,recipient,reason,detail');
    const reported = lines.slice(1).map((line) => line.split(','));
    const expectedLines = setup.expected
      .filter((row) => row.kind === 'rejected' || row.kind === 'duplicate')
      .map((row) => [String(row.row), row.kind === 'rejected' ? row.reason : 'duplicate']);
    expect(reported.map(([row, , reason]) => [row, reason])).toEqual(expectedLines);
    for (const row of duplicates)
      expect(lines).toContain(
        `${row.row},+49*********${String(row.firstRow).padStart(6, '0').slice(-2)},duplicate,same recipient as row ${row.firstRow}`,
      );
    expect(await partsLeft(setup.campaign)).toBe(0);

    const record = await store.get(setup.campaign.campaignId);
    expect(record?.feed).toMatchObject({
      enqueued: jobs.length,
      rejected: rejected.length,
      duplicates: duplicates.length,
      checkpoint: { row: 1_234 },
    });
    expect(record?.feed?.fedAt).toBe(NOW);
    expect(Object.values(record!.feed!.waitingUntil)).toEqual([waiting.size]);
    expect(record?.lease).toBeUndefined();
  });

  const crashes: Array<
    [string, (store: MemoryCampaignStore, real: CampaignJobQueue) => { store: CampaignStore; queue: CampaignJobQueue }]
  > = [
    // Killed after its fifth group was enqueued, before the report part and the checkpoint.
    ['after an enqueue', (store, real) => ({ store: killed(store), queue: crashingQueue(real, 4) })],
    // Killed after its fifth group was enqueued and its report part rewritten, before the checkpoint.
    ['before a checkpoint', (store, real) => ({ store: killed(store, 4), queue: real })],
  ];

  it.each(crashes)(
    'resumes a feeder killed %s from its checkpoint: no row missing, the rows after it enqueued again with the same dispatch id',
    async (_when, crash) => {
      const store = new MemoryCampaignStore();
      const setup = await launched(store, 1_050, { duplicates: false });
      const clock = { now: NOW };
      const real = createCampaignJobQueue(clients.sqs, setup.queueUrl);
      const dying = crash(store, real);
      await expect(feedCampaign(feeder({ ...dying, setup, clock }))).rejects.toThrow('feeder killed');
      const checkpointAtCrash = store.savedFeeds.at(-1)!.checkpoint.row;
      expect(checkpointAtCrash).toBe(400);

      const next = feeder({ store, setup, clock, owner: 'feeder-2' });
      expect((await feedCampaign(next)).outcome).toBe('lease-lost');
      clock.now += 61_000;
      const resumed = await feedCampaign(next);
      expect(resumed).toMatchObject({ outcome: 'fed', rowsRead: 650 });

      const bodies = await drain(setup.queueUrl);
      const copies = new Map<number, string[]>();
      for (const body of bodies) copies.set(rowOf(body), [...(copies.get(rowOf(body)) ?? []), JSON.stringify(body)]);
      const jobs = setup.expected.filter((row) => row.kind === 'job' || row.kind === 'wait').map((row) => row.row);
      expect([...copies.keys()].sort((a, b) => a - b)).toEqual(jobs);
      for (const [row, bodiesOfRow] of copies) {
        expect(bodiesOfRow.length).toBe(row > checkpointAtCrash && row <= checkpointAtCrash + 100 ? 2 : 1);
        expect(new Set(bodiesOfRow).size).toBe(1);
      }
      const record = await store.get(setup.campaign.campaignId);
      expect(record?.feed?.enqueued).toBe(jobs.length);

      const reportedRows = (await reportLines(setup.campaign)).slice(1).map((line) => Number(line.split(',')[0]));
      expect(reportedRows).toEqual(setup.expected.filter((row) => row.kind === 'rejected').map((row) => row.row));
    },
  );

  it('fails with the reason when the audience object is replaced mid-feed', async () => {
    const store = new MemoryCampaignStore();
    const setup = await launched(store, 1_200, { clean: true });
    const real = createCampaignJobQueue(clients.sqs, setup.queueUrl);
    const queue = queueThatAfter(real, 1, async () => {
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: setup.campaign.audience.key, Body: 'phone\n+4915100000001\n' }));
    });
    const result = await feedCampaign(feeder({ store, setup, clock: { now: NOW }, queue }));
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/changed since the campaign launched/);
    // The cycle already streaming went on with the version it had opened; the next read was refused.
    expect(result.rowsRead).toBe(MAX_CYCLE_ROWS);
    const record = await store.get(setup.campaign.campaignId);
    expect(record?.feed?.fedAt).toBeUndefined();
    expect(record?.lease).toBeUndefined();
  });

  it('keeps only share × horizon queued, and feeds on as the counters show jobs settled', async () => {
    const store = new MemoryCampaignStore();
    // 1 send/s on the number, shared with a campaign of the same weight: 0.5/s × 120 s = 60 queued.
    const setup = await launched(store, 500, { clean: true, rate: 1 });
    const clock = { now: NOW };
    const counters = new MemoryCampaignCounters();
    const sleeps: number[] = [];
    let wake = () => {};
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        sleeps.push(ms);
        wake = () => {
          clock.now += ms;
          resolve();
        };
      });
    const id = setup.campaign.campaignId;
    const feeding = feedCampaign(feeder({ store, setup, clock, counters, sleep, totalWeight: 2 }));
    const enqueued = async () => (await store.get(id))?.feed?.enqueued;

    await vi.waitFor(() => expect(sleeps).toHaveLength(1));
    expect(await enqueued()).toBe(60);
    expect(await drain(setup.queueUrl)).toHaveLength(60);

    counters.values.set(id, { state_accepted: 30 });
    wake();
    await vi.waitFor(() => expect(sleeps).toHaveLength(2));
    expect(await enqueued()).toBe(90);

    counters.values.set(id, { state_accepted: 30, state_delivered: 55, rejected: 3, duplicates: 2 });
    wake();
    await vi.waitFor(() => expect(sleeps).toHaveLength(3));
    expect(await enqueued()).toBe(150);
    expect(sleeps).toEqual([5_000, 5_000, 5_000]);

    // A pause stops the feed at the next look, however much budget there would be.
    counters.values.set(id, { state_delivered: 150 });
    await store.applyStatus({ campaignId: id, from: 'SENDING', to: 'PAUSED', asked: 'SENDING', actor: 'operator', now: clock.now });
    wake();
    const result: FeedResult = await feeding;
    expect(result).toMatchObject({ outcome: 'paused', rowsRead: 150, enqueued: 150, reason: 'the campaign is PAUSED' });
    expect(await drain(setup.queueUrl)).toHaveLength(90);
    expect((await store.get(id))?.lease).toBeUndefined();
  });

  it('stops within one cycle when the campaign is paused while it feeds', async () => {
    const store = new MemoryCampaignStore();
    const setup = await launched(store, 2_500, { clean: true });
    const id = setup.campaign.campaignId;
    const real = createCampaignJobQueue(clients.sqs, setup.queueUrl);
    const queue = queueThatAfter(real, 1, async () => {
      await store.applyStatus({ campaignId: id, from: 'SENDING', to: 'PAUSED', asked: 'SENDING', actor: 'operator', now: NOW });
    });
    const result = await feedCampaign(feeder({ store, setup, clock: { now: NOW }, queue }));
    expect(result).toMatchObject({ outcome: 'paused', rowsRead: MAX_CYCLE_ROWS });
    expect((await store.get(id))?.feed?.checkpoint.row).toBe(MAX_CYCLE_ROWS);
  });

  it('stops at the deadline with its checkpoint saved, and the next feeder goes on from there', async () => {
    const store = new MemoryCampaignStore();
    const setup = await launched(store, 700, { clean: true });
    const clock = { now: NOW };
    const real = createCampaignJobQueue(clients.sqs, setup.queueUrl);
    const queue = queueThatAfter(real, 3, () => {
      clock.now += 11 * 60_000;
    });
    const first = await feedCampaign(feeder({ store, setup, clock, queue }));
    expect(first).toMatchObject({ outcome: 'stopped-at-deadline', rowsRead: 300 });
    const second = await feedCampaign({ ...feeder({ store, setup, clock }), deadline: clock.now + 60_000 });
    expect(second).toMatchObject({ outcome: 'fed', rowsRead: 400 });
    expect((await drain(setup.queueUrl)).map(rowOf).sort((a, b) => a - b)).toEqual(setup.expected.map((row) => row.row));
  });
});
