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
 * it arrives at its due second); otherwise hides it again for up to 12 h. A message without a
 * readable due time is forwarded at once: the send function validates it and decides.
 */
export async function releaseRecord(record: SQSRecord, deps: ReleaseRuntime): Promise<'forwarded' | 'parked'> {
  const dueAt = Number(record.messageAttributes[DUE_AT_ATTRIBUTE]?.stringValue);
  const step = planRelease(Number.isFinite(dueAt) ? dueAt : 0, deps.now());
  if (step.action === 'forward') {
    await deps.queues.dispatch(record.body, { queue: 'send', delaySeconds: step.delaySeconds }, 'released from the deferred queue');
    return 'forwarded';
  }
  await deps.queues.park(record.receiptHandle, step.visibilitySeconds);
  throw new ParkedUntilDue(`not due for another ${step.visibilitySeconds} s or more`);
}
