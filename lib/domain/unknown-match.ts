import { JOB_STATES, type JobState } from './job-state.ts';

/**
 * Matching a status to an `unknown` job without callback data (docs/design.md#reconciling-unknown-jobs):
 * a status for a recipient whose one `unknown` job was claimed within `windowMs` before the
 * status's time belongs to that job, unless another of the recipient's jobs is being sent right
 * now (its answer, not yet recorded, may carry the status's wamid).
 */
export interface MatchableJob {
  jobKey: string;
  state: JobState;
  claimToken: string;
  claimedAt?: string;
}

/**
 * Meta's status times are whole seconds (rounded down) on Meta's clock: a status may look up to
 * this much older than the claim that preceded its request.
 */
export const STATUS_CLOCK_SLACK_MS = 2_000;

export function unknownJobSentBefore(jobs: readonly MatchableJob[], statusAt: number, windowMs: number): MatchableJob | undefined {
  if (windowMs <= 0 || jobs.some((job) => job.state === JOB_STATES.sending)) return undefined;
  const unknown = jobs.filter((job) => job.state === JOB_STATES.unknown);
  const [only] = unknown;
  if (unknown.length !== 1 || !only?.claimedAt) return undefined;
  const sinceClaim = statusAt - Date.parse(only.claimedAt);
  return sinceClaim >= -STATUS_CLOCK_SLACK_MS && sinceClaim <= windowMs ? only : undefined;
}
