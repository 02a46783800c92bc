import { describe, expect, it } from 'vitest';
import { type SendJob, sendJobSchema } from '../../../lib/domain/job-contract.ts';
import { dispatchBodyFromItem } from '../../../lib/jobs/dispatch-body.ts';
import { contractOfItem, storedContractOf } from '../../../lib/jobs/job-item.ts';

const createdAt = '2026-11-26T09:00:00.123Z';
const job: SendJob = sendJobSchema.parse({
  schemaVersion: 1,
  campaignId: 'autumn-2026',
  recipient: '+4915112345678',
  phoneNumberId: '106540352242922',
  template: {
    name: 'autumn_offer',
    language: { code: 'en_US' },
    components: [
      { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/autumn.jpg' } }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Jasper' },
          { type: 'currency', currency: { fallback_value: '€20', code: 'EUR', amount_1000: 20_000 } },
        ],
      },
      { type: 'button', sub_type: 'url', index: 0, parameters: [{ type: 'text', text: 'autumn?u=42' }] },
    ],
  },
  validitySeconds: 172_800,
  createdAt,
  notBefore: '2026-11-26T10:00:00+01:00',
  callbackData: 'campaign=autumn-2026;segment=a',
  messageActivitySharing: false,
  productPolicy: 'CLOUD_API_FALLBACK',
});

/** The item's columns that the contract shares (the recipient is part of the key). */
const columns = {
  recipient: job.recipient,
  campaignId: job.campaignId,
  phoneNumberId: job.phoneNumberId,
  createdAt,
  validUntil: new Date(Date.parse(createdAt) + 172_800_000).toISOString(),
};

describe('the contract on the job item', () => {
  it('gives back the job as enqueued from the columns and the stored fields', () => {
    expect(contractOfItem({ ...columns, ...storedContractOf(job) })).toEqual(job);
  });

  it('stores only what the columns do not hold', () => {
    expect(Object.keys(storedContractOf(job)).sort()).toEqual([
      'callbackData',
      'messageActivitySharing',
      'notBefore',
      'productPolicy',
      'template',
    ]);
    const withoutOptional = {
      ...job,
      callbackData: undefined,
      notBefore: undefined,
      messageActivitySharing: undefined,
      productPolicy: undefined,
    } as SendJob;
    expect(Object.keys(storedContractOf(withoutOptional))).toEqual(['template']);
  });

  it('loses no field of the contract: each is stored, a column, derived or set per dispatch', () => {
    const perDispatch = ['attempt', 'dispatchId'];
    const rebuilt = Object.keys(contractOfItem({ ...columns, ...storedContractOf(job) }));
    expect([...rebuilt, ...perDispatch].sort()).toEqual(Object.keys(sendJobSchema.shape).sort());
  });

  it('makes a dispatch body the send function accepts', () => {
    const body = JSON.parse(dispatchBodyFromItem({ ...columns, ...storedContractOf(job) }, 2, 'a1b2c3d4-0000-4000-8000-000000000000'));
    expect(sendJobSchema.parse(body)).toEqual({ ...job, attempt: 2, dispatchId: 'a1b2c3d4-0000-4000-8000-000000000000' });
  });
});
