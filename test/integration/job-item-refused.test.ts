import { describe, expect, it } from 'vitest';
import { createJobStore } from '../../lib/adapters/dynamodb/job-store.ts';
import { JOB_STATES } from '../../lib/domain/job-state.ts';
import type { ValidJob } from '../../lib/domain/validate-job.ts';
import { UnstorableJob } from '../../lib/errors.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';

/**
 * The contract keeps every valid job far below what DynamoDB refuses; a job that got past it
 * anyway (built here without the contract) must come back from its claim as `UnstorableJob`, which
 * the send path dead-letters with its reason, not as an error that hands the message back.
 */
const { clients } = useLocalStack();
const resources = await createTestResources();
const store = createJobStore(clients.documents, { tableName: resources.table('JobsTable').name, retentionDays: 1 });

function claimOf(template: unknown, n: number) {
  const now = Date.now();
  const job = { ...aJob({ recipient: recipientNumber(n) }), template, recipientCountry: 'DE' } as unknown as ValidJob;
  return { job, token: `sqs:refused-${n}`, now, createdAt: now, validUntil: now + 86_400_000, state: JOB_STATES.sending };
}

const templateWith = (component: unknown) => ({ name: 'autumn_sale', language: { code: 'en_US' }, components: [component] });

describe("the job store and DynamoDB's refusal of a job's content", () => {
  it('an item over 400 KB: UnstorableJob with DynamoDB’s words', async () => {
    const claim = store.claim(claimOf(templateWith({ type: 'carousel', cards: [{ filler: 'x'.repeat(420_000) }] }), 1));
    await expect(claim).rejects.toBeInstanceOf(UnstorableJob);
    await expect(claim).rejects.toThrow(/the jobs table refused the job's item: .*size/i);
  });

  it('a template nested deeper than DynamoDB stores: UnstorableJob', async () => {
    const nested = (levels: number): unknown => (levels === 0 ? 'end' : { next: nested(levels - 1) });
    const claim = store.claim(claimOf(templateWith({ type: 'carousel', cards: [nested(40)] }), 2));
    await expect(claim).rejects.toBeInstanceOf(UnstorableJob);
  });

  it('a number the document client cannot marshal exactly: UnstorableJob', async () => {
    const claim = store.claim(claimOf(templateWith({ type: 'carousel', cards: [{ id: 2 ** 60 }] }), 5));
    await expect(claim).rejects.toBeInstanceOf(UnstorableJob);
  });

  it('a job of the contract’s largest size is stored', async () => {
    const claim = await store.claim(claimOf(templateWith({ type: 'carousel', cards: [{ filler: 'x'.repeat(131_000) }] }), 3));
    expect(claim.claimed).toBe(true);
  });
});
