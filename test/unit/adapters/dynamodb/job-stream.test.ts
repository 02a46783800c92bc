import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { jobChangesOf } from '../../../../lib/adapters/dynamodb/job-stream.ts';

const keys = (campaignId: string) => marshall({ recipient: '+4915112345678', campaignId });

function record(sequence: string, change: Partial<DynamoDBRecord> & { old?: object; new?: object; campaignId?: string }): DynamoDBRecord {
  const { old, new: fresh, campaignId = 'c1', ...rest } = change;
  return {
    eventID: `e${sequence}`,
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: keys(campaignId) as never,
      SequenceNumber: sequence,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(old ? { OldImage: marshall(old, { removeUndefinedValues: true }) as never } : {}),
      ...(fresh ? { NewImage: marshall(fresh, { removeUndefinedValues: true }) as never } : {}),
    },
    ...rest,
  };
}

const event = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

describe('jobChangesOf: the job changes of a jobs-table stream batch', () => {
  it('reads each change with the attributes counting needs, in stream order, the batch named by its first record', () => {
    const { batch, unread } = jobChangesOf(
      event(
        record('100', { eventName: 'INSERT', new: { state: 'sending', claimedFrom: 'none', attempt: 1, retries: 0, wamid: 'x' } }),
        record('101', {
          old: { state: 'sending', claimedFrom: 'none', attempt: 1, retries: 0 },
          new: { state: 'failed', lastErrorCode: 131049, perUserLimitHits: 1, attempt: 1, retries: 0, template: { name: 't' } },
        }),
      ),
    );
    expect(unread).toEqual([]);
    expect(batch.batchId).toBe('e100');
    expect(batch.changes).toEqual([
      { campaignId: 'c1', sequence: '100', after: { state: 'sending', claimedFrom: 'none', attempt: 1, retries: 0 } },
      {
        campaignId: 'c1',
        sequence: '101',
        before: { state: 'sending', claimedFrom: 'none', attempt: 1, retries: 0 },
        after: { state: 'failed', lastErrorCode: 131049, perUserLimitHits: 1, attempt: 1, retries: 0 },
      },
    ]);
  });

  it('leaves out removals (a TTL expiry, an erasure) and wa_id alias items: they change no count', () => {
    const { batch, unread } = jobChangesOf(
      event(
        record('200', { eventName: 'REMOVE', old: { state: 'delivered', attempt: 1, retries: 0 } }),
        record('201', { eventName: 'INSERT', campaignId: 'alias#c1', new: { aliasOf: '+4915112345678', wamid: 'w' } }),
      ),
    );
    expect(batch.changes).toEqual([]);
    expect(unread).toEqual([]);
  });

  it('returns apart, with its reason, a record it cannot read as a job change, and reads the others', () => {
    const job = { state: 'accepted', attempt: 1, retries: 0 };
    const { batch, unread } = jobChangesOf(
      event(
        record('300', { old: job }),
        record('301', { new: job }),
        record('302', { old: job, new: { state: 'no-such-state' } }),
        record('303', { old: { note: 'not a job' }, new: job }),
        record('304', { campaignId: '', new: job, eventName: 'INSERT' }),
        record('305', { old: job, new: { ...job, state: 'sent' } }),
      ),
    );
    expect(unread).toEqual([
      { sequence: '300', reason: 'no new image: the stream must be NEW_AND_OLD_IMAGES' },
      { sequence: '301', reason: 'no old image: the stream must be NEW_AND_OLD_IMAGES' },
      { sequence: '302', reason: 'new image has no job state' },
      { sequence: '303', reason: 'old image has no job state' },
      { sequence: '304', reason: 'no campaignId key' },
    ]);
    expect(batch.changes.map((change) => change.sequence)).toEqual(['305']);
  });
});
