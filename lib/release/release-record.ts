import type { SQSRecord } from 'aws-lambda';
import { planRelease } from '../domain/send-plan.ts';
import { ParkedUntilDue } from '../errors.ts';
import { DUE_AT_ATTRIBUTE, type JobQueues } from '../ports/job-queues.ts';

/** The release function's runtime. */
export interface ReleaseRuntime {
  queues: Pick<JobQueues, 'dispatch' | 'park'>;
  now: () => number;
}

/**
 * Moves a deferred job to the send queue once it is due (the last ≤ 900 s as an SQS delay, so
 * it arrives at its due second); otherwise hides it again for up to 12 h, or sends it again as a
 * new deferred message when it is a week old (SQS would delete it at 14 days). A message without a
 * readable due time is forwarded at once: the send function validates it and decides.
 */
export async function releaseRecord(record: SQSRecord, deps: ReleaseRuntime): Promise<'forwarded' | 'renewed' | 'parked'> {
  const due = Number(record.messageAttributes[DUE_AT_ATTRIBUTE]?.stringValue);
  const dueAt = Number.isFinite(due) ? due : 0;
  const now = deps.now();
  const sentAt = Number(record.attributes.SentTimestamp);
  const step = planRelease({ dueAt, now, sentAt: Number.isFinite(sentAt) ? sentAt : now });
  if (step.action === 'forward') {
    await deps.queues.dispatch(record.body, { queue: 'send', delaySeconds: step.delaySeconds }, 'released from the deferred queue');
    return 'forwarded';
  }
  if (step.action === 'renew') {
    await deps.queues.dispatch(record.body, { queue: 'deferred', dueAt }, 'renewed before the queue retention');
    return 'renewed';
  }
  await deps.queues.park(record.receiptHandle, step.visibilitySeconds);
  throw new ParkedUntilDue(`not due for another ${step.visibilitySeconds} s or more`);
}
