import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { createUserStore, preferenceKeyOf } from '../../lib/adapters/dynamodb/user-store.ts';
import { maskPhoneNumber } from '../../lib/domain/phone.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { runTool } from '../helpers/run-tool.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { inboundPayload, postWebhook, WABA_ID } from '../helpers/webhook-factories.ts';

/**
 * `npm run erase` against the real stores: a user with jobs in several campaigns (a Brazilian
 * number, so Meta's wa_id differs and alias items exist), a 131049 record, an opt-out and the
 * open-deadline records of its sends, beside another user whose data must stay.
 */
const erased = '+5511987654321';
const erasedWaId = '551187654321';
const neighbour = recipientNumber(8_001);
const withoutSuppression = recipientNumber(8_002);
const campaigns = ['erase-a', 'erase-b', 'erase-c'];

const harness = await startSendHarness(baseScenario({ waIds: { [erased]: erasedWaId } }));
const { endpoints, clients } = useLocalStack();
const tables = {
  jobs: tableOf(harness.deployment.resources, 'JobsTable').name,
  users: tableOf(harness.deployment.resources, 'UsersTable').name,
  campaigns: tableOf(harness.deployment.resources, 'CampaignsTable').name,
};

async function erase(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    JOBS_TABLE: tables.jobs,
    USERS_TABLE: tables.users,
    CAMPAIGNS_TABLE: tables.campaigns,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
  };
  return runTool('erase.ts', args, env);
}

const users = createUserStore(clients.documents, { tableName: tables.users, retentionDays: 1 });

const partition = async (recipient: string) =>
  (
    await clients.documents.send(
      new QueryCommand({
        TableName: tables.jobs,
        KeyConditionExpression: 'recipient = :r',
        ExpressionAttributeValues: { ':r': recipient },
      }),
    )
  ).Items ?? [];

/** Every job key the sweep's open-deadline records list (a test may scan). */
async function listedJobKeys(): Promise<string[]> {
  const result = await clients.documents.send(
    new ScanCommand({
      TableName: tables.campaigns,
      FilterExpression: 'begins_with(campaignId, :open)',
      ExpressionAttributeValues: { ':open': 'sweep#open#' },
    }),
  );
  return (result.Items ?? []).flatMap((item) => item.jobKeys as string[]);
}

const userItem = async (recipient: string) =>
  (await clients.documents.send(new GetCommand({ TableName: tables.users, Key: { recipient } }))).Item;

describe('npm run erase', () => {
  it('removes a user from every table, keeps its opt-out as a suppression entry, and leaves the neighbour alone', async () => {
    await harness.enqueue([
      ...campaigns.map((campaignId) => aJob({ campaignId, recipient: erased })),
      ...campaigns.slice(0, 2).map((campaignId) => aJob({ campaignId, recipient: neighbour })),
    ]);
    await harness.waitForJobs((all) => {
      const accepted = all.filter((job) => job.recipient === erased && job.state === 'accepted');
      return accepted.length === campaigns.length;
    });
    await harness.waitForJobs((all) => all.filter((job) => job.recipient === neighbour && job.state === 'accepted').length === 2);
    // A STOP typed from the wa_id: recorded under the dialled number, through the alias.
    await postWebhook(harness.deployment.webhookUrl!, inboundPayload(`+${erasedWaId}`, { type: 'text', text: { body: 'STOP' } }));
    await expect.poll(async () => (await harness.user(erased))?.optedOut, { timeout: 10_000 }).toBe(true);
    // A 131049 record, as a status webhook leaves it (the send path would defer the other campaigns' jobs after one).
    await users.recordLimitHit(erased, Date.now(), Date.now());
    expect(await harness.user(erased)).toMatchObject({ limitHits: 1 });
    expect((await listedJobKeys()).filter((key) => key.endsWith(erased)).length).toBeGreaterThanOrEqual(3);

    const run = await erase(erased, '--json');
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(erased.slice(1));
    expect(JSON.parse(run.stdout)).toMatchObject({
      recipient: maskPhoneNumber(erased),
      jobs: { jobs: 3, aliases: 3 },
      users: { items: 1, suppressionKept: true },
      campaigns: { openDeadlineEntries: expect.any(Number) },
    });
    expect(JSON.parse(run.stdout).campaigns.openDeadlineEntries).toBeGreaterThanOrEqual(3);

    expect(await partition(erased)).toEqual([]);
    expect(await partition(`+${erasedWaId}`)).toEqual([]);
    expect(await userItem(erased)).toBeUndefined();
    const suppression = await userItem(preferenceKeyOf(erased));
    expect(Object.keys(suppression ?? {}).sort()).toEqual([`account#${WABA_ID}`, 'erasedAt', 'recipient', 'updatedAt']);
    expect(suppression?.[`account#${WABA_ID}`]).toMatchObject({ optedOut: true, source: 'keyword' });
    const listed = await listedJobKeys();
    expect(listed.filter((key) => key.endsWith(erased))).toEqual([]);
    expect(listed.filter((key) => key.endsWith(neighbour)).length).toBeGreaterThanOrEqual(2);
    expect(await partition(neighbour)).toHaveLength(2);

    // The kept suppression holds: a new campaign does not message the erased user.
    const callsBefore = harness.sim.acceptedFor(erased).length;
    await harness.enqueue([aJob({ campaignId: 'erase-after', recipient: erased })]);
    await harness.waitForJobs((all) => all.some((job) => job.campaignId === 'erase-after' && job.state === 'suppressed'));
    expect(harness.sim.acceptedFor(erased)).toHaveLength(callsBefore);
  });

  it('with --no-keep-suppression leaves nothing about the user, and says so', async () => {
    await harness.enqueue([aJob({ campaignId: 'erase-a', recipient: withoutSuppression })]);
    await harness.waitForJobs((all) => all.some((job) => job.recipient === withoutSuppression && job.state === 'accepted'));
    await postWebhook(harness.deployment.webhookUrl!, inboundPayload(withoutSuppression, { type: 'text', text: { body: 'STOP' } }));
    await expect.poll(async () => (await harness.user(withoutSuppression))?.optedOut, { timeout: 10_000 }).toBe(true);

    const run = await erase(withoutSuppression, '--no-keep-suppression');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`erased ${maskPhoneNumber(withoutSuppression)}`);
    expect(run.stdout).toMatch(/jobs table: 1 job items, 0 alias items/);
    expect(run.stdout).toMatch(/users table: 1 items; no suppression entry kept/);
    expect(await harness.user(withoutSuppression)).toBeUndefined();
    expect(await partition(withoutSuppression)).toEqual([]);
    expect((await listedJobKeys()).filter((key) => key.endsWith(withoutSuppression))).toEqual([]);
  });

  it('refuses what is not a phone number, and runs again harmlessly', async () => {
    expect((await erase('not-a-number')).code).toBe(2);
    expect((await erase()).code).toBe(2);
    const again = await erase(erased, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ jobs: { aliases: 0 }, users: { items: 0, suppressionKept: true } });
  });
});
