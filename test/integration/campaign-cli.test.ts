import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoCampaignStore } from '../../lib/adapters/dynamodb/campaign-store.ts';
import { freshFeed } from '../../lib/campaigns/launch.ts';
import { type CampaignInput, campaignSchema } from '../../lib/domain/campaign-contract.ts';
import type { CampaignProgress, FeedState, LaunchFacts } from '../../lib/ports/campaign-store.ts';
import { anAcceptedJobItem, recipientNumber } from '../helpers/factories.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';
import { runTool } from '../helpers/run-tool.ts';

const { endpoints, clients } = useLocalStack();
const resources = await createTestResources();
const tables = {
  campaigns: resources.table('CampaignsTable').name,
  jobs: resources.table('JobsTable').name,
  control: resources.table('ControlTable').name,
};
const feedQueueUrl = resources.queue('FeedQueue').url;
const store = new DynamoCampaignStore(clients.documents, { tableName: tables.campaigns });
const bucket = `cli-audience-${randomBytes(4).toString('hex')}`;
await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
const dir = mkdtempSync(join(tmpdir(), 'campaign-cli-'));
const NOW = Date.now();

/** The configuration the deployed functions read, pointed at this file's tables and the local stack. */
const CLI_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  CAMPAIGNS_TABLE: tables.campaigns,
  JOBS_TABLE: tables.jobs,
  CONTROL_TABLE: tables.control,
  FEED_QUEUE_URL: feedQueueUrl,
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
  AWS_ENDPOINT_URL_SQS: endpoints.sqs,
  AWS_ENDPOINT_URL_S3: endpoints.s3,
};

async function runCli(args: string[], env: NodeJS.ProcessEnv = CLI_ENV): Promise<{ code: number; stdout: string; stderr: string }> {
  return runTool('campaign.ts', args, env);
}

function aCampaignInput(campaignId: string, overrides: Record<string, unknown> = {}): CampaignInput {
  return {
    schemaVersion: 1,
    campaignId,
    phoneNumberId: '100000000000001',
    template: { name: 'autumn_sale', language: 'de_DE', body: [{ column: 'first_name' }] },
    audience: { bucket, key: `${campaignId}.csv`, format: 'csv', recipientColumn: 'phone' },
    launch: { localTime: '2026-12-11T10:00', timeZone: 'Europe/Berlin' },
    ...overrides,
  } as CampaignInput;
}

function campaignFile(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const EMPTY_FEED: FeedState = freshFeed();

/** A campaign as the ticker leaves it after a launch: SENDING, with its launch facts and feed state. */
async function aSendingCampaign(campaignId: string, facts: Partial<LaunchFacts> = {}, feed: FeedState = EMPTY_FEED): Promise<void> {
  const campaign = campaignSchema.parse(aCampaignInput(campaignId));
  expect(await store.create(campaign, NOW)).toBe(true);
  const launch = { campaignId, actor: 'trigger' as const, now: NOW };
  expect(await store.applyStatus({ ...launch, from: 'SCHEDULED', to: 'LAUNCHING', asked: 'SCHEDULED' })).toBe(true);
  const launchFacts: LaunchFacts = {
    launchedAt: NOW,
    audienceEtag: '"none"',
    audienceSize: 1_000,
    ratePerSecond: 80,
    validitySeconds: 86_400,
    templateTtlSeconds: 86_400,
    ...facts,
  };
  expect(await store.recordLaunch({ ...launch, from: 'LAUNCHING', to: 'SENDING', asked: 'LAUNCHING' }, launchFacts, feed)).toBe(true);
}

async function controlItem(campaignId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await clients.documents.send(new GetCommand({ TableName: tables.control, Key: { key: `campaign#${campaignId}` } }));
  return Item;
}

async function feedKicks(campaignId: string): Promise<number> {
  let kicks = 0;
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: feedQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    if (Messages.length === 0) return kicks;
    kicks += Messages.filter((message) => JSON.parse(message.Body!).campaignId === campaignId).length;
  }
}

describe('npm run campaign -- create', () => {
  it('stores a valid campaign as SCHEDULED, uploads its audience and prints the launch in UTC and in its zone', async () => {
    const audience = join(dir, 'create-ok.csv');
    writeFileSync(audience, `phone,first_name\n${recipientNumber(1)},Ann\n`);
    const result = await runCli(['create', campaignFile('create-ok.json', aCampaignInput('create-ok')), '--audience', audience]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('created campaign create-ok (SCHEDULED)');
    expect(result.stdout).toContain('launches at 2026-12-11T09:00:00Z UTC, 2026-12-11 10:00 Europe/Berlin (GMT+01:00)');
    expect(await store.get('create-ok')).toMatchObject({
      status: 'SCHEDULED',
      appliedStatus: 'SCHEDULED',
      definition: { phoneNumberId: '100000000000001' },
    });
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'create-ok.csv' }));
    expect(await object.Body!.transformToString()).toBe(readFileSync(audience, 'utf8'));
  });

  it('names every problem of an invalid file, exits 2 and writes nothing, not even the audience', async () => {
    const audience = join(dir, 'create-bad.csv');
    writeFileSync(audience, 'phone\n');
    const bad = aCampaignInput('create-bad', { phoneNumberId: 'abc', weight: 0 });
    (bad.template as { language: string }).language = 'German';
    (bad.audience as { format: string }).format = 'xlsx';
    const result = await runCli(['create', campaignFile('create-bad.json', bad), '--audience', audience]);
    expect(result.code).toBe(2);
    for (const path of ['phoneNumberId: ', 'template.language: ', 'audience.format: ', 'weight: ']) expect(result.stderr).toContain(path);
    expect(result.stderr).toContain('4 problems');
    expect(await store.get('create-bad')).toBeUndefined();
    await expect(clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'create-bad.csv' }))).rejects.toThrow();
  });

  it('refuses a file that is not JSON, and one that does not exist, with exit 2', async () => {
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, '{ "schemaVersion": 1,');
    expect(await runCli(['create', notJson])).toMatchObject({ code: 2, stderr: expect.stringContaining('is not JSON') });
    expect(await runCli(['create', join(dir, 'missing.json')])).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
  });

  it('refuses an id that exists with exit 1, leaving the campaign and its audience as they were', async () => {
    const audience = join(dir, 'create-twice.csv');
    writeFileSync(audience, 'phone,first_name\n+4915110000001,Ann\n');
    expect((await runCli(['create', campaignFile('twice.json', aCampaignInput('create-twice')), '--audience', audience])).code).toBe(0);
    writeFileSync(audience, 'phone,first_name\n+4915110000002,Bob\n');
    const changed = aCampaignInput('create-twice', { phoneNumberId: '100000000000002' });
    const result = await runCli(['create', campaignFile('twice-2.json', changed), '--audience', audience]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('campaign create-twice exists already');
    expect((await store.get('create-twice'))?.definition?.phoneNumberId).toBe('100000000000001');
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'create-twice.csv' }));
    expect(await object.Body!.transformToString()).toContain('Ann');
  });
});

describe('npm run campaign -- list and show', () => {
  const progress: CampaignProgress = {
    rowsRead: 4,
    enqueued: 4,
    rejected: 0,
    duplicates: 0,
    accepted: 4,
    delivered: 3,
    read: 1,
    failed: 0,
    waiting: 1,
    readyToSend: 0,
    percentDone: 75,
    updatedAt: new Date(NOW).toISOString(),
  };

  it('lists campaigns with status, launch time, phone number and progress, with endpoints given as options', async () => {
    // 400 of the audience's 1,000 bytes gave 4 rows: about 10 rows in all, 4 of them done.
    await aSendingCampaign('list-sending', {}, { ...EMPTY_FEED, checkpoint: { offset: 400, row: 4 }, enqueued: 4 });
    await store.saveProgress('list-sending', progress);
    await store.create(campaignSchema.parse(aCampaignInput('list-scheduled')), NOW);
    const wrongEndpoints = { ...CLI_ENV, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' };
    const result = await runCli(['list', '--endpoint-dynamodb', endpoints.dynamodb], wrongEndpoints);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^CAMPAIGN\s+STATUS\s+LAUNCH \(UTC\)\s+PHONE NUMBER\s+PROGRESS$/);
    expect(lines.find((line) => line.startsWith('list-sending '))).toMatch(/SENDING\s+2026-12-11T09:00:00Z\s+100000000000001\s+40%$/);
    expect(lines.find((line) => line.startsWith('list-scheduled '))).toMatch(/SCHEDULED\s+2026-12-11T09:00:00Z\s+100000000000001\s+-$/);
  });

  it('refuses a --limit that is not a whole number from 1 to 1000', async () => {
    expect(await runCli(['list', '--limit', '0'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--limit') });
  });

  it('shows status, a refused edit loudly, the launch and the progress bar; --json gives the record', async () => {
    await aSendingCampaign('show-refused', {}, { ...EMPTY_FEED, checkpoint: { offset: 400, row: 4 }, enqueued: 4 });
    await store.saveProgress('show-refused', progress);
    await store.requestStatus('show-refused', 'paused', NOW);
    const reason = 'status "paused" is not a status the sender knows; did you mean PAUSED?';
    await store.recordRefusal('show-refused', { asked: 'paused', reason, at: new Date(NOW).toISOString() });
    const result = await runCli(['show', 'show-refused']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('campaign show-refused: SENDING (asked: paused)');
    expect(result.stdout).toContain(`!!! REFUSED: ${reason}`);
    expect(result.stdout).toContain('launch:       2026-12-11T09:00:00Z UTC, 2026-12-11 10:00 Europe/Berlin');
    expect(result.stdout).toContain('4 accepted, 3 delivered, 1 read, 0 failed, 1 waiting');
    expect(result.stdout).toMatch(/progress: +\[#+-+\] 40% \(4 of ~10 rows\)/);
    const json = await runCli(['show', 'show-refused', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ campaignId: 'show-refused', status: 'paused', refusal: { reason } });
  });

  it('watches until the campaign stops, and exits 1 for a campaign that does not exist', async () => {
    await store.create(campaignSchema.parse(aCampaignInput('show-cancelled')), NOW);
    await store.applyStatus({
      campaignId: 'show-cancelled',
      from: 'SCHEDULED',
      to: 'CANCELLED',
      asked: 'SCHEDULED',
      actor: 'operator',
      now: NOW,
    });
    const watched = await runCli(['show', 'show-cancelled', '--watch']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toContain('| CANCELLED |');
    expect(watched.stdout.trimEnd().split('\n').at(-1)).toBe('campaign show-cancelled: CANCELLED');
    expect(await runCli(['show', 'no-such-campaign'])).toMatchObject({ code: 1, stderr: 'no campaign no-such-campaign\n' });
  });

  it('explains usage errors with exit 2: an unknown command, an option of another command, missing configuration', async () => {
    expect(await runCli(['launch', 'x'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command launch') });
    expect(await runCli(['show', 'x', '--mask'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--mask does not apply to show'),
    });
    const { FEED_QUEUE_URL: _feed, CONTROL_TABLE: _control, ...partial } = CLI_ENV;
    const missing = await runCli(['pause', 'x'], partial);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('set CONTROL_TABLE, FEED_QUEUE_URL') });
  });
});

describe('npm run campaign -- pause, resume, cancel', () => {
  it('refuses a move the lifecycle does not allow, naming what is allowed, and changes nothing', async () => {
    await store.create(campaignSchema.parse(aCampaignInput('steer-scheduled')), NOW);
    const result = await runCli(['pause', 'steer-scheduled']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'cannot pause campaign steer-scheduled: it is SCHEDULED; from SCHEDULED an operator may cancel (CANCELLED)',
    );
    expect(await store.get('steer-scheduled')).toMatchObject({ status: 'SCHEDULED', appliedStatus: 'SCHEDULED' });
    expect(await controlItem('steer-scheduled')).toBeUndefined();
  });

  it('pauses and resumes at once: the item and the control item the send path reads follow, and the feed restarts', async () => {
    await aSendingCampaign('steer-live');
    const paused = await runCli(['pause', 'steer-live']);
    expect(paused.stderr).toBe('');
    expect(paused.stdout).toContain('campaign steer-live: SENDING → PAUSED');
    expect(await store.get('steer-live')).toMatchObject({ status: 'PAUSED', appliedStatus: 'PAUSED' });
    expect(await controlItem('steer-live')).toMatchObject({ status: 'PAUSED', pausedBy: 'operator' });

    const again = await runCli(['pause', 'steer-live']);
    expect(again).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('it is PAUSED; from PAUSED an operator may resume (SENDING) or cancel (CANCELLED)'),
    });

    const resumed = await runCli(['resume', 'steer-live']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('campaign steer-live: PAUSED → SENDING');
    expect(await store.get('steer-live')).toMatchObject({ status: 'SENDING', appliedStatus: 'SENDING' });
    expect(await controlItem('steer-live')).toMatchObject({ status: 'RUNNING' });
    expect(await feedKicks('steer-live')).toBe(1);
  });

  it('cancels, after which nothing moves the campaign', async () => {
    await aSendingCampaign('steer-cancel');
    const cancelled = await runCli(['cancel', 'steer-cancel']);
    expect(cancelled.code).toBe(0);
    expect(await store.get('steer-cancel')).toMatchObject({ status: 'CANCELLED', appliedStatus: 'CANCELLED' });
    expect(await controlItem('steer-cancel')).toMatchObject({ status: 'CANCELLED' });
    const resumed = await runCli(['resume', 'steer-cancel']);
    expect(resumed).toMatchObject({ code: 1, stderr: 'cannot resume campaign steer-cancel: it is CANCELLED, which is final\n' });
    expect(await store.get('steer-cancel')).toMatchObject({ status: 'CANCELLED', appliedStatus: 'CANCELLED' });
  });

  it('reschedules a failed campaign with resume, to relaunch at the next tick', async () => {
    await aSendingCampaign('steer-failed');
    const failure = { campaignId: 'steer-failed', from: 'SENDING', to: 'FAILED', asked: 'SENDING', actor: 'feeder', now: NOW } as const;
    expect(await store.applyStatus({ ...failure, reason: 'the audience changed' })).toBe(true);
    const result = await runCli(['resume', 'steer-failed']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('campaign steer-failed: FAILED → SCHEDULED');
    expect(result.stdout).toContain('relaunches at the next tick');
    expect(await store.get('steer-failed')).toMatchObject({ status: 'SCHEDULED', appliedStatus: 'SCHEDULED' });
  });

  it('exits 1 for a campaign that does not exist', async () => {
    expect(await runCli(['cancel', 'steer-nobody'])).toMatchObject({ code: 1, stderr: 'no campaign steer-nobody\n' });
  });
});

describe('npm run campaign -- report', () => {
  const ann = recipientNumber(101);
  const bob = recipientNumber(102);
  const dora = recipientNumber(104);
  const AUDIENCE = [
    'phone,first_name',
    `${ann},Ann`, // 1: accepted and delivered
    `${bob},"Bob, Jr."`, // 2: failed
    `${ann},Ann again`, // 3: duplicate of row 1
    'not-a-number,Carl', // 4: rejected, invalid number
    `${recipientNumber(103)},`, // 5: rejected, the template's column is empty
    '+5351234567,Cuba', // 6: rejected, a restricted country by the functions' default
    `${dora},Dora`, // 7: no job yet
    `${ann.slice(1)},Ann without plus`, // 8: the same recipient once normalised
  ].join('\n');

  async function putAudience(key: string, body: string): Promise<string> {
    const { ETag } = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return ETag!;
  }

  async function putJob(item: Record<string, unknown>): Promise<void> {
    await clients.documents.send(new PutCommand({ TableName: tables.jobs, Item: item }));
  }

  /** The CSV's lines as fields: no field of these reports holds a comma (the names are not in it). */
  const rowsOf = (csv: string) =>
    csv
      .trimEnd()
      .split('\n')
      .map((line) => line.split(','));

  it('gives each row its outcome from the job items, with duplicate, rejected and not-sent-yet rows', async () => {
    const campaignId = 'report-small';
    const etag = await putAudience(`${campaignId}.csv`, AUDIENCE);
    await aSendingCampaign(campaignId, { audienceEtag: etag });
    const accepted = anAcceptedJobItem({ campaignId, recipient: ann, wamid: 'wamid.ANN', acceptedAt: NOW, validityMs: 86_400_000 });
    await putJob({ ...accepted, state: 'delivered', sentAt: '2026-12-04T10:00:01Z', deliveredAt: '2026-12-04T10:00:02Z' });
    const {
      wamid: _none,
      acceptedAt: _never,
      ...claimed
    } = anAcceptedJobItem({ campaignId, recipient: bob, wamid: '-', acceptedAt: NOW, validityMs: 86_400_000 });
    await putJob({ ...claimed, state: 'failed', lastErrorCode: 131026, lastErrorReason: 'message undeliverable' });
    // Another campaign's job for the same recipient must not show up.
    await putJob(
      anAcceptedJobItem({ campaignId: 'other', recipient: dora, wamid: 'wamid.OTHER', acceptedAt: NOW, validityMs: 86_400_000 }),
    );

    const result = await runCli(['report', campaignId]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('8 rows: 2 with a job, 1 not sent yet, 2 duplicates, 3 rejected\n');
    const rows = rowsOf(result.stdout);
    expect(rows[0]).toEqual([
      'row',
      'recipient',
      'state',
      'wamid',
      'errorCode',
      'errorReason',
      'acceptedAt',
      'sentAt',
      'deliveredAt',
      'readAt',
    ]);
    expect(rows[1]).toEqual([
      '1',
      ann,
      'delivered',
      'wamid.ANN',
      '',
      '',
      accepted.acceptedAt,
      '2026-12-04T10:00:01Z',
      '2026-12-04T10:00:02Z',
      '',
    ]);
    expect(rows[2]).toEqual(['2', bob, 'failed', '', '131026', 'message undeliverable', '', '', '', '']);
    expect(rows[3]).toEqual(['3', ann, 'duplicate of row 1']);
    expect(rows[4]).toEqual(['4', 'not-a-number', 'rejected: invalid_recipient', '', '', expect.any(String)]);
    expect(rows[5]).toEqual(['5', recipientNumber(103), 'rejected: schema_violation', '', '', 'column first_name is empty or missing']);
    expect(rows[6]).toEqual(['6', '+5351234567', 'rejected: restricted_recipient', '', '', expect.stringContaining('CU')]);
    expect(rows[7]).toEqual(['7', dora, 'not sent yet']);
    expect(rows[8]).toEqual(['8', ann, 'duplicate of row 1']);
    expect(rows).toHaveLength(9);
  });

  it('writes the report to a file with --out, masked with --mask', async () => {
    const campaignId = 'report-masked';
    const etag = await putAudience(`${campaignId}.csv`, AUDIENCE);
    await aSendingCampaign(campaignId, { audienceEtag: etag });
    const out = join(dir, 'masked.csv');
    const result = await runCli(['report', campaignId, '--mask', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote ${out}: 8 rows: 0 with a job, 3 not sent yet, 2 duplicates, 3 rejected`);
    const csv = readFileSync(out, 'utf8');
    expect(csv).not.toContain(ann);
    const rows = rowsOf(csv);
    expect(rows[1]).toEqual(['1', '+49*********01', 'not sent yet']);
    expect(rows[6]?.[1]).toBe('+53******67');
  });

  it('reads the jobs 100 rows at a time and finds duplicates across chunks', async () => {
    const campaignId = 'report-large';
    const lines = ['phone,first_name', ...Array.from({ length: 250 }, (_, i) => `${recipientNumber(1_000 + (i % 220))},N${i}`)];
    const etag = await putAudience(`${campaignId}.csv`, lines.join('\n'));
    await aSendingCampaign(campaignId, { audienceEtag: etag });
    for (const n of [0, 99, 100, 199, 219]) {
      await putJob(
        anAcceptedJobItem({
          campaignId,
          recipient: recipientNumber(1_000 + n),
          wamid: `wamid.${n}`,
          acceptedAt: NOW,
          validityMs: 86_400_000,
        }),
      );
    }
    const result = await runCli(['report', campaignId]);
    expect(result.code).toBe(0);
    const rows = rowsOf(result.stdout);
    expect(rows).toHaveLength(251);
    const withJob = rows.filter((row) => row[2] === 'accepted').map((row) => row[3]);
    expect(withJob).toEqual(['wamid.0', 'wamid.99', 'wamid.100', 'wamid.199', 'wamid.219']);
    expect(rows[221]).toEqual(['221', recipientNumber(1_000), 'duplicate of row 1']);
    expect(rows[250]).toEqual(['250', recipientNumber(1_029), 'duplicate of row 30']);
    expect(result.stderr).toBe('250 rows: 5 with a job, 215 not sent yet, 30 duplicates, 0 rejected\n');
  });

  it('refuses with exit 1 when the audience changed since the launch, or the campaign has not launched', async () => {
    const campaignId = 'report-changed';
    const etag = await putAudience(`${campaignId}.csv`, AUDIENCE);
    await aSendingCampaign(campaignId, { audienceEtag: etag });
    await putAudience(`${campaignId}.csv`, `${AUDIENCE}\n${recipientNumber(105)},Eve`);
    const out = join(dir, 'changed.csv');
    const result = await runCli(['report', campaignId, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('changed since the campaign launched');
    expect(() => readFileSync(out)).toThrow();
    await store.create(campaignSchema.parse(aCampaignInput('report-scheduled')), NOW);
    expect(await runCli(['report', 'report-scheduled'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('has not launched yet'),
    });
  });
});
