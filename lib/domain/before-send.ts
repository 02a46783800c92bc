import type { Gate } from './breaker.ts';
import { JOB_STATES } from './job-state.ts';

/** What the sender knows about the recipient before a send (the user record, read once per batch). */
export interface RecipientFacts {
  optedOut?: boolean;
  optOutSource?: string;
  /** ISO time of the last 131049 (per-user marketing limit). */
  lastLimitHitAt?: string;
}

/** Everything the checks before a send look at. Times are epoch milliseconds. */
export interface BeforeSendFacts {
  now: number;
  validUntil: number;
  /** The producer's earliest send time, if any. */
  notBefore?: number;
  recipient?: RecipientFacts;
  /** Wait after a 131049 before the next attempt (Meta: at least 24 h). */
  perUserLimitDelaySeconds: number;
  /** The breakers' say on this job now (`gateFor`, plus the batch's own openings). */
  gate: Gate;
  /** Seconds this record waits because an earlier record of its batch goes to the same recipient. */
  pairSpacingSeconds?: number;
}

/** A gate that keeps the job: until when, and why. */
export interface Holding {
  until: number;
  reason: string;
}

export type BeforeSendStep =
  /** Not due yet: back on the queue until `dueAt` (the producer's `notBefore`). */
  | { action: 'wait'; dueAt: number; reason: 'notBefore' }
  /** Settled without a send: recorded in this state, never sent. */
  | { action: 'settle'; state: typeof JOB_STATES.expired | typeof JOB_STATES.suppressed | typeof JOB_STATES.cancelled; reason: string }
  /** A recent 131049: recorded as deferred, re-dispatched when the limit clears. */
  | { action: 'defer'; dueAt: number; reason: string }
  /** A breaker keeps the job on the queue, untouched. */
  | ({ action: 'hold' } & Holding)
  /** Try to win the probe lease; when another sender holds it, hold as `otherwise` says. */
  | { action: 'probe'; scope: 'phone' | 'campaign'; otherwise: Holding }
  /** Meta's pair rate: the same recipient already has a job in this batch. */
  | { action: 'space'; delaySeconds: number }
  /** Nothing stands in the way: take a send time and claim the job. */
  | { action: 'send' };

/**
 * The checks before a send, in the order they apply: the producer's `notBefore`, the validity
 * deadline, an opt-out, a recent 131049, the breakers, Meta's pair rate. Pure: the caller reads
 * the facts and carries the step out.
 */
export function planBeforeSend(facts: BeforeSendFacts): BeforeSendStep {
  const { now, validUntil, notBefore, recipient } = facts;
  if (notBefore !== undefined && notBefore > now && notBefore < validUntil)
    return { action: 'wait', dueAt: notBefore, reason: 'notBefore' };
  if (now >= validUntil || (notBefore !== undefined && notBefore >= validUntil)) {
    return { action: 'settle', state: JOB_STATES.expired, reason: 'validity ended before sending' };
  }
  if (recipient?.optedOut) {
    return {
      action: 'settle',
      state: JOB_STATES.suppressed,
      reason: `recipient opted out (${recipient.optOutSource ?? 'unknown source'})`,
    };
  }
  const limitClearsAt = recipient?.lastLimitHitAt ? Date.parse(recipient.lastLimitHitAt) + facts.perUserLimitDelaySeconds * 1000 : 0;
  if (limitClearsAt > now) {
    // Meta: sending sooner than 24 h after a 131049 earns more of them and can block the user.
    if (limitClearsAt >= validUntil)
      return { action: 'settle', state: JOB_STATES.expired, reason: 'recent 131049; validity ends before the limit clears' };
    return { action: 'defer', dueAt: limitClearsAt, reason: 'recent 131049 for this recipient' };
  }
  const gate = facts.gate;
  if (gate.action === 'cancel') return { action: 'settle', state: JOB_STATES.cancelled, reason: gate.reason };
  if (gate.action === 'hold') return { action: 'hold', until: gate.until, reason: gate.reason };
  if (gate.action === 'probe') return { action: 'probe', scope: gate.scope, otherwise: holdingOf(gate, now) };
  if (facts.pairSpacingSeconds) return { action: 'space', delaySeconds: facts.pairSpacingSeconds };
  return { action: 'send' };
}

/**
 * Until when, and why, a gate other than `send` keeps a claimed or unclaimed job: a hold until its
 * time; a probe due elsewhere, or a cancellation seen only after the claim, looked at again in a minute.
 */
export function holdingOf(gate: Exclude<Gate, { action: 'send' }>, now: number): Holding {
  if (gate.action === 'hold') return { until: gate.until, reason: gate.reason };
  return { until: now + 60_000, reason: gate.action === 'probe' ? 'another sender is probing' : gate.reason };
}
