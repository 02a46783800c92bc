import { ChangeMessageVisibilityCommand, type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TooLargeToDeadLetter } from '../../errors.ts';
import { DUE_AT_ATTRIBUTE, type JobQueues } from '../../ports/job-queues.ts';
import { CoalescingSender, type OutgoingMessage } from './coalescing-sender.ts';

/** SQS's message size limit, attributes included. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

export interface JobQueueUrls {
  sendQueueUrl: string;
  deferredQueueUrl: string;
  /** Only the send function dead-letters jobs; the release function has no need for it. */
  sendDeadLetterQueueUrl?: string;
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/** SQS adapter for the send path. */
export function createJobQueues(sqs: SQSClient, urls: JobQueueUrls): JobQueues {
  const sender = new CoalescingSender(sqs);
  const enqueue = (queueUrl: string, entry: OutgoingMessage) => sender.send(queueUrl, entry);

  return {
    dispatch(body, route, reason) {
      const attributes = { reason: text(reason.slice(0, 256)) };
      if (route.queue === 'send') {
        return enqueue(urls.sendQueueUrl, { MessageBody: body, DelaySeconds: route.delaySeconds, MessageAttributes: attributes });
      }
      return enqueue(urls.deferredQueueUrl, {
        MessageBody: body,
        MessageAttributes: {
          ...attributes,
          [DUE_AT_ATTRIBUTE]: { DataType: 'Number', StringValue: String(route.dueAt) },
          dueAtIso: text(new Date(route.dueAt).toISOString()),
        },
      });
    },

    async deadLetter(body, { rejection, sourceMessageId, rejectedAt }) {
      if (!urls.sendDeadLetterQueueUrl) throw new Error('no dead-letter queue configured for this function');
      const attributes: Record<string, MessageAttributeValue> = {
        rejectionReason: text(rejection.reason),
        rejectionDetail: text(rejection.detail.slice(0, 1024) || '-'),
        rejectedAt: text(new Date(rejectedAt).toISOString()),
        sourceMessageId: text(sourceMessageId),
        ...(rejection.campaignId ? { campaignId: text(rejection.campaignId) } : {}),
      };
      const size =
        Buffer.byteLength(body) +
        Object.entries(attributes).reduce((n, [k, v]) => n + k.length + v.DataType!.length + Buffer.byteLength(v.StringValue ?? ''), 0);
      if (size > SQS_MAX_MESSAGE_BYTES) {
        throw new TooLargeToDeadLetter(`${size} bytes with the rejection attributes: left for the queue's redrive policy`);
      }
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: urls.sendDeadLetterQueueUrl,
          MessageBody: body.length > 0 ? body : '(empty body)',
          MessageAttributes: attributes,
        }),
      );
    },

    async park(receiptHandle, visibilitySeconds) {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: urls.deferredQueueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: visibilitySeconds,
        }),
      );
    },
  };
}
