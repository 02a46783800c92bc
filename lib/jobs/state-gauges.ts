import { JOB_STATES, type JobState } from '../domain/job-state.ts';
import type { CounterDeltas } from '../ports/campaign-counters.ts';
import { FAILED_CODE_PREFIX, failedCodeCounter, stateCounter } from './batch-tally.ts';
import type { JobRecord } from './job-record.ts';

/** Adds `from` to `into`, counter by counter, and returns `into`. */
export function addDeltas(into: CounterDeltas, from: Readonly<CounterDeltas>): CounterDeltas {
  for (const [name, n] of Object.entries(from)) into[name] = (into[name] ?? 0) + n;
  return into;
}

/**
 * The tallies a job item keeps of its own events, each only ever increased by the write that
 * makes the event (`job-updates.ts`): a campaign's counter of the same name is their sum.
 */
export const JOB_TALLIES = ['perUserLimitHits', 'retriesScheduled', 'deferredBeforeSending'] as const;
export type JobTally = (typeof JOB_TALLIES)[number];

/** What a job's counts depend on: its item as a stream image or a read shows it. */
export type CountedImage = Pick<JobRecord, 'state'> &
  Partial<Pick<JobRecord, 'attempt' | 'retries' | 'acceptedAt' | 'deliveredAt' | 'lastErrorCode' | 'claimedFrom' | 'resentAt'>> &
  Partial<Record<JobTally, number>>;

/** A gauge a job is counted in: its state, and for `failed` its error code too. */
interface GaugeState {
  state: JobState;
  errorCode?: number;
}

/**
 * The counter deltas one change of a job item makes, from its images before (none for a new
 * item) and after. Pure: the same two images always give the same deltas, so counting from the
 * jobs table's stream is exact whoever wrote the change and however often it is delivered
 * (`count-job-changes.ts` applies each record once).
 *
 * Gauges (`state_<state>`, `failedCode_<code>`) count each recipient once, in its current state.
 * A job being sent (`sending`) stays counted in the state it was claimed from (`claimedFrom`), so
 * a claim moves no gauge; its outcome does. The monotonic counts follow from attributes that are
 * set once (`deliveredAt`, `resentAt`), set anew by each acceptance (`acceptedAt`), or only grow
 * (`JOB_TALLIES`).
 */
export function countsOfImages(before: CountedImage | undefined, after: CountedImage): CounterDeltas {
  const deltas: CounterDeltas = {};
  const add = (name: string, n: number) => {
    deltas[name] = (deltas[name] ?? 0) + n;
  };
  const from = before && gaugeOf(before);
  const to = gaugeOf(after);
  if (from) moveGauge(add, from, -1);
  if (to) moveGauge(add, to, 1);
  const onRetry = (before?.attempt ?? 1) > 1 || (before?.retries ?? 0) > 0;
  // Each acceptance sets `acceptedAt` anew; the first one is the recipient's unique acceptance.
  if (after.acceptedAt && after.acceptedAt !== before?.acceptedAt) {
    if (!before?.acceptedAt) add('uniqueAccepted', 1);
    if (before && onRetry) add('acceptedOnRetry', 1);
  }
  if (after.deliveredAt && !before?.deliveredAt) {
    add('uniqueDelivered', 1);
    if (before && onRetry) add('deliveredAfterRetry', 1);
  }
  if (after.resentAt && !before?.resentAt) add('resentAfterUnknown', 1);
  for (const tally of JOB_TALLIES) add(tally, (after[tally] ?? 0) - (before?.[tally] ?? 0));
  return Object.fromEntries(Object.entries(deltas).filter(([, n]) => n !== 0));
}

function gaugeOf(image: CountedImage): GaugeState | undefined {
  if (image.state !== JOB_STATES.sending) {
    const failedWith = image.state === JOB_STATES.failed && image.lastErrorCode !== undefined;
    return { state: image.state, ...(failedWith ? { errorCode: image.lastErrorCode } : {}) };
  }
  // A job claimed from a waiting state is still counted there; a first claim is counted nowhere yet.
  return image.claimedFrom && image.claimedFrom !== 'none' ? { state: image.claimedFrom } : undefined;
}

function moveGauge(add: (name: string, n: number) => void, gauge: GaugeState, n: number): void {
  add(stateCounter(gauge.state), n);
  if (gauge.errorCode !== undefined) add(failedCodeCounter(gauge.errorCode), n);
}

/**
 * The counters a recount can rebuild from the job items alone; the others (`acceptedOnRetry`,
 * `deliveredAfterRetry`) depend on the item as it was when the event happened.
 */
export function isRecountable(counter: string): boolean {
  return (
    counter.startsWith('state_') ||
    counter.startsWith(FAILED_CODE_PREFIX) ||
    counter === 'uniqueAccepted' ||
    counter === 'uniqueDelivered' ||
    counter === 'resentAfterUnknown' ||
    (JOB_TALLIES as readonly string[]).includes(counter)
  );
}

/** What one job item adds to its campaign's recountable counters (`isRecountable`): the recount sums it. Pure. */
export function countsOfJob(job: CountedImage): CounterDeltas {
  return countsOfImages(undefined, job);
}
