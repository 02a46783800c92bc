import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ALIAS_PREFIX } from '../../jobs/job-record.ts';
import type { CountedImage } from '../../jobs/state-gauges.ts';

export interface CampaignJobsScan {
  tableName: string;
  campaignId: string;
  /** Parallel scan segments: the jobs table is keyed by recipient, so a campaign's jobs are spread over all of it. */
  segments?: number;
}

/** The attributes a recount reads: a projection, so a job costs a fraction of its item. */
const PROJECTION =
  '#state, claimedFrom, lastErrorCode, acceptedAt, deliveredAt, resentAt, attempt, retries, perUserLimitHits, retriesScheduled, deferredBeforeSending';

/**
 * Visits every job item of one campaign, with what its counts depend on. A scan of the whole
 * jobs table (filtered on the campaign, eventually consistent): for an operator's recount, not
 * for a function. Wa_id alias items have another sort key and are left out by the filter.
 */
export async function scanCampaignJobs(
  doc: DynamoDBDocumentClient,
  { tableName, campaignId, segments = 4 }: CampaignJobsScan,
  visit: (job: CountedImage) => void,
): Promise<void> {
  if (campaignId.startsWith(ALIAS_PREFIX)) throw new Error(`not a campaign id: ${campaignId}`);
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new ScanCommand({
            TableName: tableName,
            Segment: segment,
            TotalSegments: segments,
            FilterExpression: 'campaignId = :c',
            ProjectionExpression: PROJECTION,
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':c': campaignId },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) visit(item as CountedImage);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
}
