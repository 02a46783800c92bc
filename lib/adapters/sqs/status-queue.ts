import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StatusQueue } from '../../ports/status-queue.ts';
import { sendInBatches } from './batch-sender.ts';

export interface StatusQueueUrls {
  statusQueueUrl: string;
  /** Only the status function dead-letters events; the webhook has no need for it. */
  statusDeadLetterQueueUrl?: string;
}

/** SQS adapter for the status queue. */
export function createStatusQueue(sqs: SQSClient, urls: StatusQueueUrls): StatusQueue {
  return {
    async enqueue(envelopes) {
      const bodies = envelopes.map((envelope, index) => ({ index, body: JSON.stringify(envelope) }));
      const report = await sendInBatches(sqs, urls.statusQueueUrl, bodies, 10);
      if (report.failed.length > 0)
        throw new Error(`${report.failed.length} webhook events could not be queued: ${report.failed[0]!.error}`);
    },

    async retryLater(receiptHandle, seconds) {
      await sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: urls.statusQueueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }),
      );
    },

    async deadLetter(body, reason, messageId) {
      if (!urls.statusDeadLetterQueueUrl) throw new Error('no dead-letter queue configured for this function');
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: urls.statusDeadLetterQueueUrl,
          MessageBody: body || '(empty body)',
          MessageAttributes: {
            rejectionReason: { DataType: 'String', StringValue: 'invalid_webhook_event' },
            rejectionDetail: { DataType: 'String', StringValue: reason.slice(0, 1024) || '-' },
            sourceMessageId: { DataType: 'String', StringValue: messageId },
          },
        }),
      );
    },
  };
}
