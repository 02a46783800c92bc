import { classifyMetaError } from '../domain/meta-errors.ts';
import { afterThrottle } from '../domain/pacing.ts';
import type { SendOutcome } from '../domain/send-plan.ts';
import type { Scope } from '../ports/control-store.ts';
import type { SendingRecord } from './context.ts';

/** Fleet-wide reactions: pace slower after 130429, open or close breakers. */
export async function reactToOutcome(sending: SendingRecord, outcome: SendOutcome, probe: Scope | undefined): Promise<void> {
  const { job, batch, deps, tally, log } = sending;
  const kind = outcome.kind === 'meta_error' ? classifyMetaError(outcome.code).kind : undefined;
  if (kind === 'throttled' && !batch.slowedHere.has(job.phoneNumberId)) {
    batch.slowedHere.add(job.phoneNumberId);
    const seen = batch.controls.phones.get(job.phoneNumberId);
    const next = afterThrottle(seen, deps.now());
    if (next && (await deps.controls.throttleBack(job.phoneNumberId, seen?.throttledAt, next))) {
      log.warn('130429: the fleet paces slower for a while', {
        phoneNumberId: job.phoneNumberId,
        paceFactor: Number(next.throttleFactor.toFixed(3)),
      });
      tally.metric('PaceReductions');
    }
  }
  if ((kind === 'stop_phone_number' || kind === 'pause_campaign') && outcome.kind === 'meta_error') {
    const scope: Scope = kind === 'stop_phone_number' ? { kind: 'phone', id: job.phoneNumberId } : { kind: 'campaign', id: job.campaignId };
    batch.openedHere.add(`${scope.kind}#${scope.id}`);
    if (await deps.controls.open(scope, outcome.code, `${outcome.code}: ${classifyMetaError(outcome.code).meaning}`, deps.now())) {
      log.error(
        scope.kind === 'phone'
          ? 'phone number stopped: every job is held until a probe or an operator resumes it'
          : 'campaign paused after a template error',
        {
          code: outcome.code,
          phoneNumberId: job.phoneNumberId,
        },
      );
      tally.metric(scope.kind === 'phone' ? 'PhoneNumberStopped' : 'CampaignPaused');
    }
    return;
  }
  if (probe && outcome.kind !== 'unknown' && outcome.kind !== 'not_sent') {
    // The probe reached Meta and was not refused for the breaker's reason: resume.
    await deps.controls.close(probe, deps.now());
    log.info('probe succeeded: sending resumes', { scope: probe.kind });
    tally.metric('BreakersClosed');
  }
}

/** A job that may not be sent now: back on the queue, untouched, to look again later. */
export async function hold({ record, job, deps, tally }: SendingRecord, until: number, reason: string): Promise<void> {
  const seconds = Math.min(deps.config.retryPolicy.holdSeconds, Math.max(5, Math.ceil((until - deps.now()) / 1000)));
  await deps.queues.dispatch(record.body, { queue: 'send', delaySeconds: Math.min(900, seconds) }, `held: ${reason}`);
  tally.count(job.campaignId, 'holds', 'JobsHeld');
  tally.numberMetric(job.phoneNumberId, 'NumberJobsHeld');
}
