import type { Logger } from '@aws-lambda-powertools/logger';
import { type ResendContext, resendAllUnknown } from '../resend/resend-unknown.ts';

/** The sweep's automatic re-send of `unknown` jobs (`UNKNOWN_RESEND_AUTOMATIC`): the re-send's context, never a dry run. */
export type AutomaticResend = Omit<ResendContext, 'dryRun'>;

/** Counts only: job keys hold phone numbers. */
export interface UnknownSweepResult {
  resent: number;
  /** Re-sent before, whose message was lost: enqueued again. */
  redispatched: number;
  /** Past their validity, re-sent once already, or settled by a status meanwhile: left alone. */
  leftAlone: number;
}

export interface UnknownSweepDeps {
  logger: Logger;
  metric: (name: string, value: number) => void;
}

/**
 * Re-sends, through the operator command's rule and conditional write (once per job, within its
 * validity, only when no status came), every job left `unknown` longer than the window. Two
 * runs at once, or a run beside the operator command, re-send a job once.
 */
export async function resendUnknownAutomatically(context: AutomaticResend, deps: UnknownSweepDeps): Promise<UnknownSweepResult> {
  const report = await resendAllUnknown({ ...context, dryRun: false });
  const result = {
    resent: report.resent.length,
    redispatched: report.redispatched.length,
    leftAlone: report.pastValidity.length + report.alreadyResent.length + report.changedMeanwhile.length + report.tooRecent.length,
  };
  deps.metric('UnknownJobsResent', result.resent);
  if (result.resent + result.redispatched > 0) deps.logger.warn('jobs left unknown without a status re-sent once', { ...result });
  return result;
}
