import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { invalidInput } from '../campaign/failure.ts';
import type { OpsContext } from './context.ts';

/** The queues whose dead letters go back to them, by the setting that names each. */
const SOURCE_QUEUES = {
  send: 'SEND_QUEUE_URL',
  deferred: 'DEFERRED_QUEUE_URL',
  status: 'STATUS_QUEUE_URL',
  feed: 'FEED_QUEUE_URL',
} as const;

export type RedriveQueue = keyof typeof SOURCE_QUEUES;

export interface RedriveRequest {
  queue: string;
  includeRejected: boolean;
  max: number;
  json: boolean;
}

interface RedriveReport {
  queue: RedriveQueue;
  moved: number;
  left: number;
  leftByReason: Record<string, number>;
}

/** Long enough that every message is handled once before a received one shows again. */
const RECEIVE_VISIBILITY_SECONDS = 300;

/**
 * `ops dlq redrive <queue>`: every message of the queue's DLQ back on the queue, as SQS's
 * "Start DLQ redrive" does, except the rejected jobs and events (bad input, marked with
 * `rejectionReason`), which would only be rejected and counted again: they stay, visible at once,
 * unless `--include-rejected`. A message is deleted from the DLQ only after its copy was sent.
 */
export async function redriveDeadLetters(context: OpsContext, request: RedriveRequest): Promise<void> {
  const queue = queueOf(request.queue);
  const sourceUrl = context.setting(SOURCE_QUEUES[queue]);
  const dlqUrl = await deadLetterQueueOf(context, sourceUrl);
  const report: RedriveReport = { queue, moved: 0, left: 0, leftByReason: {} };
  const left: Message[] = [];
  const seen = new Set<string>();
  try {
    while (report.moved + report.left < request.max) {
      const batch = await receive(context, dlqUrl, Math.min(10, request.max - report.moved - report.left));
      const fresh = batch.filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        const reason = message.MessageAttributes?.rejectionReason?.StringValue;
        if (reason && !request.includeRejected) {
          left.push(message);
          report.left++;
          report.leftByReason[reason] = (report.leftByReason[reason] ?? 0) + 1;
          continue;
        }
        await moveBack(context, { message, sourceUrl, dlqUrl });
        report.moved++;
      }
    }
  } finally {
    // The rejected ones were received only to be looked at: visible again for the console at once.
    await Promise.all(left.map((message) => makeVisible(context, dlqUrl, message)));
  }
  context.out(request.json ? JSON.stringify(report) : describe(report, request.includeRejected));
}

function queueOf(name: string): RedriveQueue {
  if (name === 'counts') {
    throw invalidInput(
      'the counts DLQ names stream records, not jobs: nothing to redrive; `npm run recount -- <campaignId>` repairs the figures',
    );
  }
  if (!(name in SOURCE_QUEUES)) throw invalidInput(`no such queue: ${name} (one of ${Object.keys(SOURCE_QUEUES).join(', ')})`);
  return name as RedriveQueue;
}

/** The DLQ as the queue's redrive policy names it, so the command cannot move messages into the wrong queue. */
async function deadLetterQueueOf(context: OpsContext, sourceUrl: string): Promise<string> {
  const { Attributes } = await context.sqs.send(new GetQueueAttributesCommand({ QueueUrl: sourceUrl, AttributeNames: ['RedrivePolicy'] }));
  const arn = Attributes?.RedrivePolicy
    ? (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn
    : undefined;
  if (!arn) throw invalidInput(`${sourceUrl} has no dead-letter queue in its redrive policy`);
  const { QueueUrl } = await context.sqs.send(new GetQueueUrlCommand({ QueueName: arn.split(':').at(-1) }));
  if (!QueueUrl) throw invalidInput(`no queue for ${arn}`);
  return QueueUrl;
}

async function receive(context: OpsContext, dlqUrl: string, max: number): Promise<Message[]> {
  const { Messages } = await context.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: dlqUrl,
      MaxNumberOfMessages: max,
      MessageAttributeNames: ['All'],
      VisibilityTimeout: RECEIVE_VISIBILITY_SECONDS,
      // Long polling asks every SQS server, so an empty answer means an empty queue.
      WaitTimeSeconds: 1,
    }),
  );
  return Messages ?? [];
}

async function moveBack(context: OpsContext, { message, sourceUrl, dlqUrl }: { message: Message; sourceUrl: string; dlqUrl: string }) {
  await context.sqs.send(
    new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: message.Body ?? '', MessageAttributes: attributesOf(message) }),
  );
  await context.sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }));
}

/** The message's attributes as SendMessage takes them (a received value carries empty list fields SQS refuses). */
function attributesOf(message: Message): Record<string, MessageAttributeValue> | undefined {
  const entries = Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
    name,
    {
      DataType: value.DataType,
      ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
    },
  ]);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

async function makeVisible(context: OpsContext, dlqUrl: string, message: Message): Promise<void> {
  await context.sqs.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }),
  );
}

function describe(report: RedriveReport, includeRejected: boolean): string {
  const reasons = Object.entries(report.leftByReason).map(([reason, count]) => `\n  ${reason}: ${count}`);
  return [
    `${report.queue}: ${report.moved} moved back from its DLQ`,
    includeRejected ? '' : `; ${report.left} rejected left on the DLQ${reasons.join('')}`,
  ].join('');
}
