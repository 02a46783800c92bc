import { JOB_STATES } from '../domain/job-state.ts';
import { EVERY_ACCOUNT } from '../domain/opt-out.ts';
import type { Decision } from '../domain/send-plan.ts';
import type { UserStore } from '../ports/user-store.ts';

/** A decision about one recipient's job, and when it was learnt (`at`: Meta's time for a webhook). */
export interface UserLesson {
  decision: Decision;
  recipient: string;
  /** The account of the job's number; undefined for a number no longer served. */
  account: string | undefined;
  at: number;
  now: number;
}

/**
 * What a decision teaches about the recipient, whichever path learnt it (a synchronous error
 * or a status webhook): a 131049 is recorded as a limit hit, a 131050 as an opt-out from the
 * account that sent (Meta's opt-out is per business), or from every account when the job's
 * number is no longer served (the safe side).
 */
export async function recordUserEffects(users: UserStore, { decision, recipient, account, at, now }: UserLesson): Promise<void> {
  const code = 'errorCode' in decision ? decision.errorCode : undefined;
  if (code === 131049) await users.recordLimitHit(recipient, at, now);
  if (decision.state === JOB_STATES.suppressed && code === 131050)
    await users.setPreference(recipient, { optedOut: true, source: '131050', at, account: account ?? EVERY_ACCOUNT }, now);
}
