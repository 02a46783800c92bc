import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { ALIAS_PREFIX } from '../../lib/jobs/job-record.ts';
import { aJob, anAcceptedJobItem, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { statusSteps } from '../helpers/status-steps.ts';
import { postWebhook, statusesPayload, userPreferencePayload } from '../helpers/webhook-factories.ts';

/**
 * Jobs are keyed by recipient and campaign, and a status names its recipient: the status path
 * finds the message's job among the recipient's jobs by wamid, with no index. Where Meta's
 * wa_id is not the dialled number (a Brazilian number registered before the 9th digit), the
 * send leaves an alias item under the wa_id that the lookup follows.
 */
const brazilian = '+5511987654321';
const brazilianWaId = '551187654321';
const harness = await startSendHarness(baseScenario({ waIds: { [brazilian]: brazilianWaId } }));
const { clients } = useLocalStack();
const url = harness.deployment.webhookUrl!;
const jobsTable = tableOf(harness.deployment.resources, 'JobsTable').name;

const { sent, post, stateOf } = statusSteps(harness);

/** Another campaign's accepted job for the same recipient, written directly (the pair rate would space real sends 6 s apart). */
async function seedAccepted(campaignId: string, recipient: string, wamid: string): Promise<void> {
  await clients.documents.send(
    new PutCommand({
      TableName: jobsTable,
      Item: anAcceptedJobItem({ campaignId, recipient, wamid, acceptedAt: Date.now(), validityMs: 86_400_000 }),
    }),
  );
}

describe('status lookup by recipient', () => {
  it("applies a status to the job with its wamid among the recipient's jobs of other campaigns", async () => {
    const recipient = recipientNumber(8_001);
    await seedAccepted('lookup-older-a', recipient, 'wamid.older-a');
    await seedAccepted('lookup-older-b', recipient, 'wamid.older-b');
    const job = await sent('lookup-current', recipient);
    await post([{ wamid: job.wamid!, recipient, status: 'delivered' }]);
    await stateOf(job, 'delivered');
    await harness.quiet('StatusQueue');
    expect((await harness.job('lookup-older-a', recipient))?.state).toBe('accepted');
    expect((await harness.job('lookup-older-b', recipient))?.state).toBe('accepted');
    await post([{ wamid: 'wamid.older-b', recipient, status: 'read' }]);
    expect((await stateOf({ jobKey: `lookup-older-b#${recipient}` }, 'read')).campaignId).toBe('lookup-older-b');
  });

  it('follows the wa_id alias of a number Meta knows by another id', async () => {
    const job = await sent('lookup-alias', brazilian);
    // Written right after the outcome.
    const aliasItem = async () =>
      (
        await clients.documents.send(
          new GetCommand({
            TableName: jobsTable,
            Key: { recipient: `+${brazilianWaId}`, campaignId: `${ALIAS_PREFIX}lookup-alias` },
            ConsistentRead: true,
          }),
        )
      ).Item;
    await expect.poll(aliasItem, { timeout: 5_000 }).toMatchObject({ aliasOf: brazilian, wamid: job.wamid, expiresAt: job.expiresAt });
    // Meta's statuses name the recipient by its wa_id.
    await post([{ wamid: job.wamid!, recipient: `+${brazilianWaId}`, status: 'delivered', pricingCategory: 'marketing_lite' }]);
    expect(await stateOf(job, 'delivered')).toMatchObject({ route: 'marketing_messages_api' });
    expect(await harness.figures('lookup-alias')).toMatchObject({ uniqueDelivered: 1 });
  });

  it('writes no alias when the wa_id is the dialled number', async () => {
    const recipient = recipientNumber(8_002);
    await sent('lookup-no-alias', recipient);
    const items = (await harness.allJobs()).filter((j) => j.recipient === recipient);
    expect(items.map((j) => j.campaignId)).toEqual(['lookup-no-alias']);
    const alias = await clients.documents.send(
      new GetCommand({ TableName: jobsTable, Key: { recipient, campaignId: `${ALIAS_PREFIX}lookup-no-alias` }, ConsistentRead: true }),
    );
    expect(alias.Item).toBeUndefined();
  });

  it('dead-letters a status without recipient_id, with the reason, and applies its neighbours', async () => {
    const recipient = recipientNumber(8_003);
    const job = await sent('lookup-no-recipient', recipient);
    const payload = statusesPayload([
      { wamid: job.wamid!, recipient, status: 'sent' },
      { wamid: job.wamid!, recipient, status: 'delivered' },
    ]) as { entry: Array<{ changes: Array<{ value: { statuses: Array<Record<string, unknown>> } }> }> };
    delete payload.entry[0]!.changes[0]!.value.statuses[1]!.recipient_id;
    payload.entry[0]!.changes[0]!.value.statuses[1]!.id = 'wamid.without-recipient';
    expect((await postWebhook(url, payload)).status).toBe(200);
    await stateOf(job, 'sent');
    await expect.poll(async () => (await harness.queueCounts('StatusDeadLetterQueue')).visible, { timeout: 10_000 }).toBe(1);
    const [dead] = await harness.drain('StatusDeadLetterQueue');
    expect(dead!.MessageAttributes?.rejectionDetail?.StringValue).toMatch(/recipient_id/);
  });
});

describe('when the wa_id alias cannot be written', async () => {
  // DynamoDB Local cannot refuse one write: the SDK-level injector fails every alias PutItem.
  const refusing = await startSendHarness(baseScenario({ waIds: { [brazilian]: brazilianWaId } }), {
    injectFault: (service, command, input) =>
      service === 'dynamodb' &&
      command === 'PutItemCommand' &&
      String((input.Item as { campaignId?: string } | undefined)?.campaignId).startsWith(ALIAS_PREFIX)
        ? Object.assign(new Error('alias write refused (injected)'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } })
        : undefined,
  });

  it('keeps the accepted send (never sends it again); its statuses wait in the status queue for the DLQ', async () => {
    await refusing.enqueue([aJob({ campaignId: 'alias-refused', recipient: brazilian })]);
    const [job] = (await refusing.waitForJobs((all) => all.some((j) => j.campaignId === 'alias-refused' && j.state === 'accepted'))).filter(
      (j) => j.campaignId === 'alias-refused',
    );
    await refusing.quiet('SendQueue');
    expect(refusing.sim.calls().filter((call) => call.recipient === brazilian)).toHaveLength(1);
    expect((await refusing.allJobs()).filter((j) => j.campaignId === 'alias-refused')).toHaveLength(1);
    expect((await refusing.queueCounts('SendDeadLetterQueue')).visible).toBe(0);
    expect(
      (
        await postWebhook(
          refusing.deployment.webhookUrl!,
          statusesPayload([{ wamid: job!.wamid!, recipient: `+${brazilianWaId}`, status: 'delivered' }]),
        )
      ).status,
    ).toBe(200);
    // Not found under the wa_id: handed back to wait (and after maxReceiveCount, the DLQ).
    await expect.poll(async () => (await refusing.queueCounts('StatusQueue')).inFlight, { timeout: 10_000 }).toBe(1);
    expect((await refusing.job('alias-refused', brazilian))?.state).toBe('accepted');
  });
});

describe('opt-outs of a user Meta knows by another id', () => {
  it('are kept under the dialled number, which the send path checks', async () => {
    await harness.enqueue([aJob({ campaignId: 'alias-optout', recipient: brazilian })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'alias-optout' && j.state === 'accepted'));
    await expect.poll(aliasCount, { timeout: 5_000 }).toBe(1);
    expect((await postWebhook(url, userPreferencePayload(`+${brazilianWaId}`, 'stop'))).status).toBe(200);
    await expect.poll(async () => (await harness.user(brazilian))?.optedOut, { timeout: 10_000 }).toBe(true);
    // The next campaign to that user is suppressed before any API call.
    await harness.enqueue([aJob({ campaignId: 'alias-optout-next', recipient: brazilian })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'alias-optout-next' && j.state === 'suppressed'));
  });
});

async function aliasCount(): Promise<number> {
  const result = await clients.documents.send(
    new GetCommand({
      TableName: jobsTable,
      Key: { recipient: `+${brazilianWaId}`, campaignId: `${ALIAS_PREFIX}alias-optout` },
      ConsistentRead: true,
    }),
  );
  return result.Item ? 1 : 0;
}

describe('a status whose callback data names its job', async () => {
  let jobQueries = 0;
  const counting = await startSendHarness(baseScenario({ waIds: { [brazilian]: brazilianWaId } }), {
    injectFault: (service, command, input) => {
      if (
        service === 'dynamodb' &&
        command === 'QueryCommand' &&
        input.TableName === tableOf(counting.deployment.resources, 'JobsTable').name
      )
        jobQueries++;
      return undefined;
    },
  });
  const steps = statusSteps(counting);
  const postTo = (statuses: Parameters<typeof statusesPayload>[0]) =>
    postWebhook(counting.deployment.webhookUrl!, statusesPayload(statuses));

  it("is written to that job without reading the recipient's jobs", async () => {
    const recipient = recipientNumber(8_101);
    const job = await steps.sent('named-direct', recipient);
    await counting.quiet('StatusQueue');
    const before = jobQueries;
    const callbackData = `wms1#named-direct#${job.claimToken}#`;
    expect((await postTo([{ wamid: job.wamid!, recipient, status: 'delivered', callbackData }])).status).toBe(200);
    await steps.stateOf(job, 'delivered');
    await counting.quiet('StatusQueue');
    expect(jobQueries - before).toBe(0);
    expect(await counting.figures('named-direct')).toMatchObject({ uniqueDelivered: 1 });
  });

  it('falls back to the lookup when the named item does not hold the wamid (a wa_id alias)', async () => {
    const job = await steps.sent('named-alias', brazilian);
    await counting.quiet('StatusQueue');
    const before = jobQueries;
    const callbackData = `wms1#named-alias#${job.claimToken}#`;
    await postTo([{ wamid: job.wamid!, recipient: `+${brazilianWaId}`, status: 'delivered', callbackData }]);
    await steps.stateOf(job, 'delivered');
    expect(jobQueries - before).toBeGreaterThanOrEqual(1);
    // Nothing was written under the wa_id: the refused shortcut created no item.
    expect((await counting.allJobs()).filter((j) => j.recipient === `+${brazilianWaId}` && j.campaignId === 'named-alias')).toEqual([]);
  });
});
