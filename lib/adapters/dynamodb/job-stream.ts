import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { JOB_STATES, type JobState } from '../../domain/job-state.ts';
import type { JobChange, JobChangeBatch, UnreadChange } from '../../jobs/job-change.ts';
import { ALIAS_PREFIX } from '../../jobs/job-record.ts';
import { type CountedImage, JOB_TALLIES } from '../../jobs/state-gauges.ts';

const STATES = new Set<string>(Object.values(JOB_STATES));
const NUMBER_FIELDS = ['attempt', 'retries', 'lastErrorCode', ...JOB_TALLIES] as const;
const TEXT_FIELDS = ['acceptedAt', 'deliveredAt', 'resentAt'] as const;

/**
 * The job changes of a jobs-table stream batch (NEW_AND_OLD_IMAGES), in stream order. Removals
 * (a TTL expiry, an erasure) change no count: a campaign's figures outlive its items. Wa_id alias
 * items are not jobs. A record whose images are not a job's is returned apart, with its reason.
 */
export function jobChangesOf(event: DynamoDBStreamEvent): { batch: JobChangeBatch; unread: UnreadChange[] } {
  const changes: JobChange[] = [];
  const unread: UnreadChange[] = [];
  for (const record of event.Records) {
    if (record.eventName === 'REMOVE') continue;
    const read = jobChangeOf(record);
    if (read === undefined) continue;
    if ('reason' in read) unread.push(read);
    else changes.push(read);
  }
  return { batch: { batchId: event.Records[0]?.eventID ?? 'empty', changes }, unread };
}

function jobChangeOf(record: DynamoDBRecord): JobChange | UnreadChange | undefined {
  const sequence = record.dynamodb?.SequenceNumber ?? '';
  const campaignId = record.dynamodb?.Keys?.campaignId?.S;
  if (campaignId?.startsWith(ALIAS_PREFIX)) return undefined;
  if (!/^\d+$/.test(sequence)) return { sequence, reason: 'no sequence number' };
  if (!campaignId) return { sequence, reason: 'no campaignId key' };
  if (!record.dynamodb?.NewImage) return { sequence, reason: 'no new image: the stream must be NEW_AND_OLD_IMAGES' };
  const after = imageOf(record.dynamodb.NewImage);
  if (!after) return { sequence, reason: 'new image has no job state' };
  const oldImage = record.dynamodb.OldImage;
  if (record.eventName === 'MODIFY' && !oldImage) return { sequence, reason: 'no old image: the stream must be NEW_AND_OLD_IMAGES' };
  const before = oldImage ? imageOf(oldImage) : undefined;
  if (oldImage && !before) return { sequence, reason: 'old image has no job state' };
  return { campaignId, sequence, after, ...(before ? { before } : {}) };
}

/** The attributes counting reads, from a stream image; undefined when it is not a job's. */
function imageOf(image: Record<string, unknown>): CountedImage | undefined {
  const item = unmarshall(image as Record<string, AttributeValue>);
  if (typeof item.state !== 'string' || !STATES.has(item.state)) return undefined;
  const counted: Record<string, unknown> = { state: item.state as JobState };
  if (typeof item.claimedFrom === 'string') counted.claimedFrom = item.claimedFrom;
  for (const field of NUMBER_FIELDS) if (typeof item[field] === 'number') counted[field] = item[field];
  for (const field of TEXT_FIELDS) if (typeof item[field] === 'string') counted[field] = item[field];
  return counted as CountedImage;
}
