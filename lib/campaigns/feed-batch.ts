import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import type { FeedContext } from './feed-campaign.ts';
import { runFeed } from './run-feed.ts';
import type { SteeringDeps } from './steer.ts';

/** The feeder's adapters; each invocation adds the campaign, its lease owner and its deadline. */
export interface FeederRuntime {
  feed: Omit<FeedContext, 'campaignId' | 'owner' | 'deadline'>;
  steering: SteeringDeps;
}

/** Stop feeding this long before the invocation's end, so the last checkpoint and the sequel's message are written. */
export const FEED_DEADLINE_MARGIN_MS = 30_000;

const feedMessage = z.object({ campaignId: z.string().min(1).max(128) });

/**
 * The feed queue's batch (one message by default): each names a campaign to feed. A message that
 * names none is dropped with an error log (a retry cannot fix it); a feed that throws is handed
 * back and tried again (its lease is given back first), and after 5 tries it goes to the feed DLQ.
 */
export async function feedBatch(event: SQSEvent, context: Context, runtime: FeederRuntime): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const parsed = feedMessage.safeParse(safeJson(record.body));
    if (!parsed.success) {
      runtime.steering.logger.error('feed message names no campaign: dropped', { messageId: record.messageId });
      continue;
    }
    try {
      await runFeed({
        feed: {
          ...runtime.feed,
          campaignId: parsed.data.campaignId,
          owner: `${context.awsRequestId}:${record.messageId}`,
          deadline: runtime.feed.now() + context.getRemainingTimeInMillis() - FEED_DEADLINE_MARGIN_MS,
        },
        steering: runtime.steering,
      });
    } catch (error) {
      runtime.steering.logger.error('feed failed: handed back', { campaignId: parsed.data.campaignId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
