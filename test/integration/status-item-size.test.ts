import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../lib/jobs/job-record.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { postWebhook, type StatusFields, statusesPayload } from '../helpers/webhook-factories.ts';

/**
 * A job item must stay under 1 KB through its whole life: every write to a larger item costs
 * two write units (three status updates per message make that 3 WRU). The job here is a
 * realistic one: an image header, three body parameters, a URL button and callback data.
 */
const slow = recipientNumber(7_000);
const harness = await startSendHarness(
  baseScenario({
    templates: [{ name: 'autumn_offer_2026', category: 'MARKETING', languages: ['en_US'], bodyParams: 3, ttlSeconds: 86_400 }],
    rules: [{ name: 'slow', recipients: [slow], latencyMs: 1_500 }],
  }),
  { env: { PER_USER_LIMIT_DELAY_SECONDS: '2' } },
);
const { clients } = useLocalStack();
/** A table of the same shape to write copies into: DynamoDB's own size rule, without touching the job. */
const scratch = (await createTestResources()).table('JobsTable').name;
const url = harness.deployment.webhookUrl!;
const campaignId = 'autumn-2026-newsletter';

function realisticJob(recipient: string) {
  return aJob({
    campaignId,
    recipient,
    template: {
      name: 'autumn_offer_2026',
      language: { code: 'en_US' },
      components: [
        { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/campaigns/autumn-2026/hero.jpg' } }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Jasper' },
            { type: 'text', text: '20 %' },
            { type: 'text', text: '30 November' },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'autumn-2026?c=4711' }] },
      ],
    },
    validitySeconds: 604_800,
    callbackData: 'campaign=autumn-2026;segment=loyal-customers',
  });
}

/** DynamoDB's size of a value: strings by their UTF-8 bytes, numbers about one byte per two digits plus one, maps and lists 3 bytes plus 1 per element. */
function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return 1 + Math.ceil(String(value).replace(/[-.]|^0+/g, '').length / 2);
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + valueBytes(v) + 1, 0);
  return 3 + Object.entries(value as object).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + valueBytes(v) + 1, 0);
}

/** An item's size: its attribute names plus their values. */
const itemBytes = (item: object) =>
  Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);

const sizes: Array<{ step: string; bytes: number; writeUnits: number }> = [];

/** Records the item's size and the write units DynamoDB charges for writing it whole (the table's, not its indexes'). */
async function measure(step: string, job: JobRecord): Promise<void> {
  const { jobKey: _derivedFromTheKey, ...item } = job;
  const result = await clients.documents.send(
    new PutCommand({
      TableName: scratch,
      Item: { ...item, campaignId: `${step}#${item.campaignId}`.slice(0, item.campaignId.length) },
      ReturnConsumedCapacity: 'INDEXES',
    }),
  );
  sizes.push({ step, bytes: itemBytes(item), writeUnits: result.ConsumedCapacity?.Table?.CapacityUnits ?? NaN });
}

async function post(statuses: StatusFields[]): Promise<void> {
  expect((await postWebhook(url, statusesPayload(statuses))).status).toBe(200);
}

async function inState(recipient: string, state: string, wamidOtherThan?: string): Promise<JobRecord> {
  const jobs = await harness.waitForJobs(
    (all) =>
      all.some((j) => j.recipient === recipient && j.state === state && (wamidOtherThan === undefined || j.wamid !== wamidOtherThan)),
    30_000,
  );
  return jobs.find((j) => j.recipient === recipient)!;
}

describe('job item size', () => {
  it('stays under 1 KB from the claim to read', async () => {
    await harness.enqueue([realisticJob(slow)]);
    await measure('claimed', await inState(slow, 'sending'));
    const accepted = await inState(slow, 'accepted');
    await measure('accepted', accepted);
    const base = { wamid: accepted.wamid!, recipient: slow, pricingCategory: 'marketing_lite' as const };
    await post([{ ...base, status: 'sent' }]);
    await measure('sent', await inState(slow, 'sent'));
    await post([{ ...base, status: 'delivered' }]);
    await measure('delivered', await inState(slow, 'delivered'));
    await post([{ ...base, status: 'read' }]);
    await measure('read', await inState(slow, 'read'));
  });

  it('stays under 1 KB through a 131049, its retry and a delivery after a failure', async () => {
    const recipient = recipientNumber(7_001);
    await harness.enqueue([realisticJob(recipient)]);
    const first = await inState(recipient, 'accepted');
    await post([{ wamid: first.wamid!, recipient, status: 'failed', errorCode: 131049 }]);
    await measure('deferred after 131049', await inState(recipient, 'deferred'));
    const second = await inState(recipient, 'accepted', first.wamid);
    await measure('accepted on attempt 2', second);
    await post([{ wamid: second.wamid!, recipient, status: 'failed', errorCode: 131026 }]);
    await measure('failed', await inState(recipient, 'failed'));
    await post([{ wamid: second.wamid!, recipient, status: 'delivered', pricingCategory: 'marketing' }]);
    await post([{ wamid: second.wamid!, recipient, status: 'read', pricingCategory: 'marketing' }]);
    await measure('read after a failure', await inState(recipient, 'read'));
  });

  it('costs one write unit at every step', () => {
    expect(sizes.length).toBe(9);
    for (const { step, bytes, writeUnits } of sizes) {
      expect(bytes, step).toBeLessThan(1_024);
      expect(writeUnits, `${step} (${bytes} bytes)`).toBe(1);
    }
  });
});
