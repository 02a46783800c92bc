import { statesMovedBy } from '../domain/delivery-state.ts';
import { JOB_STATES, type JobState, WAITING_STATES } from '../domain/job-state.ts';
import type { Decision } from '../domain/send-plan.ts';
import { JobKeptChanging } from '../errors.ts';
import type { CounterDeltas } from '../ports/campaign-counters.ts';
import { type BatchTally, failedCodeCounter, stateCounter } from './batch-tally.ts';
import { type ClaimRequest, type ClaimResult, type JobRecord, jobKeyOf } from './job-record.ts';
import type { CountedChange, JobStore } from './job-store.ts';

/** What a job's counts depend on, as its item was just before a write. */
export type CountedBefore = Pick<JobRecord, 'state' | 'attempt' | 'retries'> &
  Partial<Pick<JobRecord, 'acceptedAt' | 'deliveredAt' | 'lastErrorCode' | 'claimedFrom'>>;

/** A change to a job, as far as the campaign's counters are concerned. */
export type CountedChangeKind =
  /** The outcome of a send, of a `failed` status, or an interrupted send (`unknown`). */
  | { kind: 'decision'; decision: Decision }
  /** A job settled or postponed without an API call. */
  | { kind: 'settlement'; state: Exclude<ClaimRequest['state'], 'sending'> }
  | { kind: 'progress'; state: JobState }
  | { kind: 'dropped' }
  /** An `unknown` job a status showed Meta accepted (`reconcile-unknown.ts`). */
  | { kind: 'adopted' }
  /** An `unknown` job put back on the send queue, once (`resend-unknown.ts`). */
  | { kind: 'resent' }
  /** Not a change: a job item as it is, counted from nothing (the recount). */
  | { kind: 'recount'; job: CountedBefore };

/** A gauge a job is counted in: its state, and for `failed` its error code too. */
interface GaugeState {
  state: JobState;
  errorCode?: number;
}

/** Meta's per-user marketing limit. */
const PER_USER_LIMIT = 131049;

/**
 * The counter deltas one job change makes, from the item before it. Pure.
 *
 * Gauges (`state_<state>`, `failedCode_<code>`) count each recipient once, in its current state.
 * A job being sent (`sending`) stays counted in the state it was claimed from (`claimedFrom`),
 * so a claim moves no gauge and needs no counter write; the outcome moves it on. Monotonic
 * counts (unique accepted, unique delivered, retries, 131049 hits…) follow from the same two images.
 */
export function countsOfChange(before: CountedBefore | undefined, change: CountedChangeKind): CounterDeltas {
  const deltas: CounterDeltas = {};
  const add = (name: string, n: number) => {
    deltas[name] = (deltas[name] ?? 0) + n;
  };
  const from = gaugeBefore(before);
  const to = gaugeAfter(change);
  if (from) moveGauge(add, from, -1);
  if (to) moveGauge(add, to, 1);
  if (change.kind === 'recount') {
    if (change.job.acceptedAt) add('uniqueAccepted', 1);
    if (change.job.deliveredAt) add('uniqueDelivered', 1);
  }
  const onRetry = before !== undefined && (before.attempt > 1 || before.retries > 0);
  if (change.kind === 'decision') {
    const { decision } = change;
    if (decision.state === JOB_STATES.accepted) {
      if (!before?.acceptedAt) add('uniqueAccepted', 1);
      if (onRetry) add('acceptedOnRetry', 1);
    }
    if ('dueAt' in decision) add('retriesScheduled', 1);
    if ('errorCode' in decision && decision.errorCode === PER_USER_LIMIT) add('perUserLimitHits', 1);
  }
  if (change.kind === 'settlement' && change.state === JOB_STATES.deferred) add('deferredBeforeSending', 1);
  if (change.kind === 'adopted' && !before?.acceptedAt) add('uniqueAccepted', 1);
  if (change.kind === 'resent') add('resentAfterUnknown', 1);
  const delivered = change.kind === 'progress' && (change.state === JOB_STATES.delivered || change.state === JOB_STATES.read);
  if (delivered && !before?.deliveredAt) {
    add('uniqueDelivered', 1);
    if (onRetry) add('deliveredAfterRetry', 1);
  }
  return Object.fromEntries(Object.entries(deltas).filter(([, n]) => n !== 0));
}

function gaugeBefore(before: CountedBefore | undefined): GaugeState | undefined {
  if (!before) return undefined;
  if (before.state !== JOB_STATES.sending) return { state: before.state, ...errorCodeOf(before.state, before.lastErrorCode) };
  // A job claimed from a waiting state is still counted there; a first claim is counted nowhere yet.
  return before.claimedFrom && before.claimedFrom !== 'none' ? { state: before.claimedFrom } : undefined;
}

function gaugeAfter(change: CountedChangeKind): GaugeState | undefined {
  switch (change.kind) {
    case 'decision': {
      const code = 'errorCode' in change.decision ? change.decision.errorCode : undefined;
      return { state: change.decision.state, ...errorCodeOf(change.decision.state, code) };
    }
    case 'settlement':
    case 'progress':
      return { state: change.state };
    case 'dropped':
      return { state: JOB_STATES.dropped };
    case 'adopted':
      return { state: JOB_STATES.accepted };
    case 'resent':
      return { state: JOB_STATES.retryWait };
    case 'recount':
      return gaugeBefore(change.job);
  }
}

const errorCodeOf = (state: JobState, code: number | undefined) =>
  state === JOB_STATES.failed && code !== undefined ? { errorCode: code } : {};

function moveGauge(add: (name: string, n: number) => void, gauge: GaugeState, n: number): void {
  add(stateCounter(gauge.state), n);
  if (gauge.errorCode !== undefined) add(failedCodeCounter(gauge.errorCode), n);
}

/** How often a write computed from a read is tried again after the job changed in between. */
const OPTIMISTIC_TRIES = 3;

/**
 * The one owner of the campaigns' counters that follow from job changes: a job store whose
 * every write that changes a job carries the counter deltas of that change, computed from the
 * item as it was, and written in the same transaction (the adapter's condition makes sure the
 * item still is as it was). A crash, a timeout or a redelivery therefore can neither lose nor
 * double a delta: the job's change and its counts are made together or not at all.
 *
 * A claim for sending moves no counter. Every other write knows the item before it: the claim
 * this batch made (kept here), the item a status path read, or one read here (a settlement, a
 * progress status, an interrupted send, a drop: one consistent read each).
 */
export function countingStateChanges(jobs: JobStore, tally: BatchTally): JobStore {
  /** Jobs this batch claimed for sending, as claimed: their outcome's counts start from there. */
  const claimed = new Map<string, JobRecord>();
  const counted = (before: CountedBefore | undefined, change: CountedChangeKind, observedState?: JobState | null): CountedChange => ({
    deltas: countsOfChange(before, change),
    ...(observedState === undefined ? {} : { observedState }),
  });
  const raced = () => tally.metric('CountedWritesRaced');
  return {
    findByWamid: (wamid, recipient) => jobs.findByWamid(wamid, recipient),
    recordAlias: (job, waRecipient, wamid) => jobs.recordAlias(job, waRecipient, wamid),
    dialledNumberOf: (waRecipient) => jobs.dialledNumberOf(waRecipient),
    candidates: (jobKeys) => jobs.candidates(jobKeys),
    get: (jobKey) => jobs.get(jobKey),
    jobsOfRecipient: (recipient) => jobs.jobsOfRecipient(recipient),
    unknownJobs: (query) => jobs.unknownJobs(query),
    async adoptWamid(adoption) {
      // The write's own condition pins the state (`unknown`) and the claim token.
      const observed = await jobs.get(adoption.jobKey);
      if (observed?.state !== JOB_STATES.unknown || observed.claimToken !== adoption.token) return { written: false, current: observed };
      const write = await jobs.adoptWamid(adoption, counted(observed, { kind: 'adopted' }));
      return write.written ? { written: true, before: observed } : write;
    },
    markForResend: (request) =>
      jobs.markForResend(request, counted({ state: JOB_STATES.unknown, attempt: 1, retries: 0 }, { kind: 'resent' })),
    async claim(request) {
      if (request.state === JOB_STATES.sending) {
        const result = await jobs.claim(request);
        if (result.claimed) claimed.set(result.record.jobKey, result.record);
        return result;
      }
      return settle(request);
    },
    async recordDecision(write) {
      const before = claimed.get(write.jobKey) ?? (await jobs.get(write.jobKey));
      const recorded = await jobs.recordDecision(write, counted(before, { kind: 'decision', decision: write.decision }));
      claimed.delete(write.jobKey);
      return recorded;
    },
    async markUnknown(jobKey, token, now, reason) {
      const before = await jobs.get(jobKey);
      if (before?.state !== JOB_STATES.sending || before.claimToken !== token) return false;
      const decision = { state: JOB_STATES.unknown, reason } as const;
      return jobs.markUnknown(jobKey, token, now, reason, counted(before, { kind: 'decision', decision }));
    },
    async applyProgress(jobKey, wamid, change) {
      let observed = await jobs.get(jobKey);
      for (let tries = 0; tries < OPTIMISTIC_TRIES; tries++) {
        if (!observed || observed.wamid !== wamid || !statesMovedBy(change.state).includes(observed.state)) {
          return { written: false, current: observed };
        }
        const write = await jobs.applyProgress(
          jobKey,
          wamid,
          change,
          counted(observed, { kind: 'progress', state: change.state }, observed.state),
        );
        if (write.written) return { written: true, before: observed };
        raced();
        observed = write.current;
      }
      throw new JobKeptChanging('job kept changing while applying a status; retrying later');
    },
    async applyFailure(observed, decision, now, nextDispatchId) {
      const write = await jobs.applyFailure(observed, decision, now, nextDispatchId, counted(observed, { kind: 'decision', decision }));
      return write.written ? { written: true, before: observed } : write;
    },
    async markDropped(jobKey, now) {
      const observed = await jobs.get(jobKey);
      if (observed?.state !== JOB_STATES.accepted && observed?.state !== JOB_STATES.sent) return undefined;
      return jobs.markDropped(jobKey, now, counted(observed, { kind: 'dropped' }, observed.state));
    },
  };

  /**
   * A claim that settles (or postpones) the job without an API call: from no item, or from the
   * waiting state whose message this is. Read first, so its counts know the state it leaves.
   */
  async function settle(request: ClaimRequest): Promise<ClaimResult> {
    const jobKey = jobKeyOf(request.job.campaignId, request.job.recipient);
    let observed = await jobs.get(jobKey);
    for (let tries = 0; tries < OPTIMISTIC_TRIES; tries++) {
      if (observed && !claimableBy(observed, request.token)) return { claimed: false, existing: observed };
      const settlement = { kind: 'settlement', state: request.state as Exclude<ClaimRequest['state'], 'sending'> } as const;
      const change = counted(observed, settlement, observed?.state ?? null);
      const result = await jobs.claim(request, change);
      if (result.claimed || !claimableBy(result.existing, request.token)) return result;
      raced();
      observed = result.existing;
    }
    throw new JobKeptChanging('job kept changing while settling it; retrying later');
  }
}

/** Whether the message with this token may claim the job (the adapter's claim condition, for an existing item). */
function claimableBy(job: JobRecord, token: string): boolean {
  return WAITING_STATES.includes(job.state) && job.nextDispatchId === token;
}

/** The counters a recount can rebuild from the job items alone; the others count events the items do not keep. */
export function isRecountable(counter: string): boolean {
  return counter.startsWith('state_') || counter.startsWith('failedCode_') || counter === 'uniqueAccepted' || counter === 'uniqueDelivered';
}

/**
 * What one job item adds to its campaign's recountable counters (`isRecountable`): its gauge
 * (a job being sent: the state it was claimed from), and whether it was ever accepted and
 * delivered (`acceptedAt` and `deliveredAt` are never removed). Pure; the recount sums it.
 */
export function countsOfJob(job: CountedBefore): CounterDeltas {
  return countsOfChange(undefined, { kind: 'recount', job });
}
