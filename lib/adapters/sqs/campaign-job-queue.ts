import type { SQSClient } from '@aws-sdk/client-sqs';
import type { CampaignJobMessage, CampaignJobQueue } from '../../ports/send-queue-feed.ts';
import { sendInBatches } from './batch-sender.ts';

/** The send queue for the campaign feeder: SendMessageBatch in tens, failed entries retried, what still fails thrown. */
export function createCampaignJobQueue(sqs: SQSClient, queueUrl: string): CampaignJobQueue {
  return {
    async enqueue(jobs: readonly CampaignJobMessage[]): Promise<void> {
      if (jobs.length === 0) return;
      const report = await sendInBatches(
        sqs,
        queueUrl,
        jobs.map((job, index) => ({ index, body: job.body })),
      );
      if (report.failed.length === 0) return;
      const failed = report.failed.map(({ index, error }) => `${jobs[index]!.id} (${error})`);
      throw new Error(`${failed.length} of ${jobs.length} jobs could not be put on the send queue: ${failed.slice(0, 5).join('; ')}`);
    },
  };
}
