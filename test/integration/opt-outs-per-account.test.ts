import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { preferenceKeyOf } from '../../lib/adapters/dynamodb/user-store.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, OTHER_PHONE_NUMBER_ID, PHONE_NUMBER_ID, startSendHarness } from '../helpers/send-harness.ts';
import { postWebhook, userPreferencePayload, webhookPayload } from '../helpers/webhook-factories.ts';

/**
 * Opt-outs belong to the WhatsApp Business Account that received them, as Meta's do: this
 * deployment serves two accounts, X (PHONE_NUMBER_ID) and Y (OTHER_PHONE_NUMBER_ID).
 */
const X = '100000000000000';
const Y = '200000000000000';
const UNSERVED_NUMBER = '100000000000003';
const r = (n: number) => recipientNumber(7_000 + n);

const harness = await startSendHarness(
  baseScenario({
    rules: [
      { name: 'opted-out-at-meta', recipients: [r(3)], error: 131050 },
      { name: 'limit', recipients: [r(4)], error: 131049 },
    ],
  }),
  { env: { WHATSAPP_ACCOUNTS: JSON.stringify({ [X]: [PHONE_NUMBER_ID], [Y]: [OTHER_PHONE_NUMBER_ID] }) } },
);
const { clients } = useLocalStack();
const url = harness.deployment.webhookUrl!;
const usersTable = tableOf(harness.deployment.resources, 'UsersTable').name;

/** A typed message from the recipient to one of the business numbers. */
function typedTo(phoneNumberId: string, account: string, recipient: string, body: string, timestamp: number) {
  const from = recipient.replace(/\D/g, '');
  const payload = webhookPayload([
    {
      field: 'messages',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550783882', phone_number_id: phoneNumberId },
        contacts: [{ profile: { name: 'Jasper' }, wa_id: from }],
        messages: [
          { from, id: `wamid.in${Math.random().toString(36).slice(2)}`, timestamp: String(timestamp), type: 'text', text: { body } },
        ],
      },
    },
  ]) as { entry: Array<{ id: string }> };
  payload.entry[0]!.id = account;
  return payload;
}

/** Sends one job from each account's number to the recipient and returns the jobs' final states, X's first. */
async function sendFromBoth(recipient: string, campaign: string): Promise<[string, string]> {
  const ids = [`${campaign}-x`, `${campaign}-y`];
  await harness.enqueue([
    aJob({ campaignId: ids[0], recipient, phoneNumberId: PHONE_NUMBER_ID }),
    aJob({ campaignId: ids[1], recipient, phoneNumberId: OTHER_PHONE_NUMBER_ID }),
  ]);
  const settled = (state?: string) => state === 'accepted' || state === 'suppressed';
  const jobs = await harness.waitForJobs((all) =>
    ids.every((id) => settled(all.find((j) => j.campaignId === id && j.recipient === recipient)?.state)),
  );
  const stateOf = (id: string) => jobs.find((j) => j.campaignId === id && j.recipient === recipient)!.state;
  return [stateOf(ids[0]!), stateOf(ids[1]!)];
}

const storedPreferences = async (recipient: string) =>
  (await clients.documents.send(new GetCommand({ TableName: usersTable, Key: { recipient: preferenceKeyOf(recipient) } }))).Item;

const callsTo = (recipient: string, phoneNumberId: string) =>
  harness.sim.calls().filter((call) => call.recipient === recipient && call.phoneNumberId === phoneNumberId).length;

describe('opt-outs per business account', () => {
  it("a user_preferences stop to X suppresses X's sends and not Y's; X's resume lifts it", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await postWebhook(url, userPreferencePayload(r(1), 'stop', now))).status).toBe(200);
    await expect.poll(async () => (await harness.user(r(1), X))?.optedOut, { timeout: 10_000 }).toBe(true);
    expect((await harness.user(r(1), Y))?.optedOut).toBe(false);

    expect(await sendFromBoth(r(1), 'pref-stop')).toEqual(['suppressed', 'accepted']);
    expect(callsTo(r(1), PHONE_NUMBER_ID)).toBe(0);

    await postWebhook(url, userPreferencePayload(r(1), 'resume', now + 1));
    await expect.poll(async () => (await harness.user(r(1), X))?.optedOut, { timeout: 10_000 }).toBe(false);
    // Resumes only: nothing worth keeping past the retention period.
    expect((await storedPreferences(r(1)))?.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(await sendFromBoth(r(1), 'pref-resumed')).toEqual(['accepted', 'accepted']);
  });

  it("a typed STOP to Y's number belongs to Y; START to Y lifts it", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await postWebhook(url, typedTo(OTHER_PHONE_NUMBER_ID, Y, r(2), 'STOP', now))).status).toBe(200);
    await expect.poll(async () => (await harness.user(r(2), Y))?.optedOut, { timeout: 10_000 }).toBe(true);
    expect(await sendFromBoth(r(2), 'typed-stop')).toEqual(['accepted', 'suppressed']);

    // Meta's times have whole seconds: the user typed START a second after STOP.
    await postWebhook(url, typedTo(OTHER_PHONE_NUMBER_ID, Y, r(2), 'start', now + 1));
    await expect.poll(async () => (await harness.user(r(2), Y))?.optedOut, { timeout: 10_000 }).toBe(false);
    expect(await sendFromBoth(r(2), 'typed-start')).toEqual(['accepted', 'accepted']);
  });

  it("a 131050 from X's send is X's opt-out only, and no time-to-live forgets it; a 131049 record still expires", async () => {
    await harness.enqueue([aJob({ campaignId: 'meta-optout', recipient: r(3), phoneNumberId: PHONE_NUMBER_ID })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'meta-optout' && j.state === 'suppressed'));
    await expect.poll(async () => (await harness.user(r(3), X))?.optOutSource, { timeout: 10_000 }).toBe('131050');
    expect((await harness.user(r(3), Y))?.optedOut).toBe(false);
    const stored = await storedPreferences(r(3));
    expect(stored).toMatchObject({ [`account#${X}`]: { optedOut: true, source: '131050' } });
    expect(stored).not.toHaveProperty('expiresAt');

    await harness.enqueue([aJob({ campaignId: 'meta-limit', recipient: r(4), phoneNumberId: PHONE_NUMBER_ID })]);
    await expect.poll(async () => (await harness.user(r(4)))?.limitHits, { timeout: 15_000 }).toBe(1);
    expect((await harness.user(r(4)))?.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('an opt-out recorded before accounts suppresses every account until that account resumes', async () => {
    const stoppedAt = new Date(Date.now() - 86_400_000).toISOString();
    await clients.documents.send(
      new PutCommand({
        TableName: usersTable,
        Item: {
          recipient: r(5),
          optedOut: true,
          optOutSource: 'keyword',
          preferenceAt: stoppedAt,
          updatedAt: stoppedAt,
          expiresAt: 4_000_000_000,
        },
      }),
    );
    expect(await sendFromBoth(r(5), 'legacy-stop')).toEqual(['suppressed', 'suppressed']);

    await postWebhook(url, userPreferencePayload(r(5), 'resume'));
    await expect.poll(async () => (await harness.user(r(5), X))?.optedOut, { timeout: 10_000 }).toBe(false);
    expect(await sendFromBoth(r(5), 'legacy-resumed-x')).toEqual(['accepted', 'suppressed']);
  });

  it('refuses a job for a number no served account has, before any claim, with a clear reason', async () => {
    await harness.enqueue([aJob({ campaignId: 'unserved', recipient: r(6), phoneNumberId: UNSERVED_NUMBER })]);
    await expect.poll(async () => (await harness.queueCounts('SendDeadLetterQueue')).visible, { timeout: 15_000 }).toBe(1);
    const [dead] = await harness.drain('SendDeadLetterQueue');
    expect(dead?.MessageAttributes?.rejectionReason?.StringValue).toBe('unserved_phone_number');
    expect(dead?.MessageAttributes?.rejectionDetail?.StringValue).toContain(UNSERVED_NUMBER);
    expect(await harness.job('unserved', r(6))).toBeUndefined();
    expect(callsTo(r(6), UNSERVED_NUMBER)).toBe(0);
  });
});
