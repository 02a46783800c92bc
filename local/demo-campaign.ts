import type { SendJobInput } from '../lib/domain/job-contract.ts';
import { SANCTIONED_COUNTRIES } from '../lib/domain/phone.ts';

/** Mobile ranges and subscriber-number lengths that libphonenumber accepts, so generated recipients are valid. */
export const MOBILE_RANGES: ReadonlyArray<readonly [prefix: string, digits: number]> = [
  ['+49151', 8],
  ['+49170', 7],
  ['+447400', 6],
  ['+33612', 6],
  ['+34612', 6],
  ['+39347', 7],
  ['+31612', 6],
  ['+48512', 6],
  ['+46701', 6],
];

export interface DemoCampaign {
  campaignId: string;
  /** Valid jobs, enqueued with the producer helper as upstream systems do. */
  jobs: SendJobInput[];
  /** Bodies an upstream that skipped validation might send: they must reach the DLQ with a reason. */
  invalidBodies: string[];
}

/**
 * A sample campaign of `size` recipients: about 1 % invalid input (malformed JSON, wrong types,
 * impossible and restricted numbers, unknown fields), 0.5 % valid jobs whose validity has already
 * ended, the rest valid jobs valid for 24 h. Which ones hit Meta errors, opt out or are dropped
 * is up to the simulator's scenario (local/scenarios/demo.json).
 */
export function demoCampaign(
  size: number,
  campaignId = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`,
): DemoCampaign {
  const invalidCount = Math.max(5, Math.round(size * 0.01));
  const jobs: SendJobInput[] = [];
  for (let i = 0; i < size - invalidCount; i++) {
    const [prefix, digits] = MOBILE_RANGES[i % MOBILE_RANGES.length]!;
    const subscriber = String(Math.floor(i / MOBILE_RANGES.length)).padStart(digits, '0');
    jobs.push({
      schemaVersion: 1,
      campaignId,
      recipient: `${prefix}${subscriber}`,
      phoneNumberId: '100000000000001',
      template: {
        name: 'autumn_sale',
        language: { code: i % 3 === 0 ? 'de_DE' : 'en_US' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: `Customer ${i}` }] },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: `autumn?c=${i}` }] },
        ],
      },
      validitySeconds: 86_400,
      callbackData: `campaign=${campaignId}`,
      // About 0.5 % were enqueued by a slow upstream after their 12-hour offer had ended.
      ...(i % 200 === 199 ? { validitySeconds: 43_200, createdAt: new Date(Date.now() - 13 * 3_600_000).toISOString() } : {}),
    });
  }
  const template = { name: 'autumn_sale', language: { code: 'en_US' } };
  const kinds = [
    () => `{"schemaVersion":1,"campaignId":"${campaignId}","recipient":`,
    () => JSON.stringify({ schemaVersion: 1, campaignId, recipient: 4915112345678, phoneNumberId: '100000000000001', template }),
    () => JSON.stringify({ schemaVersion: 1, campaignId, recipient: '+1 555 123 4567', phoneNumberId: '100000000000001', template }),
    () => JSON.stringify({ schemaVersion: 1, campaignId, recipient: '+53 5 1234567', phoneNumberId: '100000000000001', template }),
    () =>
      JSON.stringify({
        schemaVersion: 1,
        campaignId,
        recipient: '+4915112340000',
        phoneNumberId: '100000000000001',
        template,
        priority: 'high',
      }),
  ];
  const invalidBodies = Array.from({ length: invalidCount }, (_, i) => kinds[i % kinds.length]!());
  return { campaignId, jobs, invalidBodies };
}

export const DEMO_BLOCKED_COUNTRIES = [...SANCTIONED_COUNTRIES];
