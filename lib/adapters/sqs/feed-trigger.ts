import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FeedTrigger } from '../../ports/feed-trigger.ts';

/** The feed queue: one small message per campaign to feed; the feed function's lease keeps a second copy idle. */
export function createFeedTrigger(sqs: SQSClient, queueUrl: string): FeedTrigger {
  return {
    async kick(campaignId, delaySeconds = 0) {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ campaignId }), DelaySeconds: delaySeconds }),
      );
    },
  };
}
