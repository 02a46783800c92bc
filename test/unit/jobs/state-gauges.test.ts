import { describe, expect, it } from 'vitest';
import { JOB_STATES } from '../../../lib/domain/job-state.ts';
import { BatchTally } from '../../../lib/jobs/batch-tally.ts';
import type { ClaimRequest, JobRecord } from '../../../lib/jobs/job-record.ts';
import type { JobStore } from '../../../lib/jobs/job-store.ts';
import { countingStateChanges } from '../../../lib/jobs/state-gauges.ts';
import { aJob } from '../../helpers/factories.ts';

const JOB_KEY = 'c1#+4915112345678';
const record = (state: JobRecord['state'], lastErrorCode?: number) =>
  ({ jobKey: JOB_KEY, campaignId: 'c1', recipient: '+4915112345678', state, ...(lastErrorCode ? { lastErrorCode } : {}) }) as JobRecord;

/** A port-level stand-in whose answers each test sets: the decorator's rules, apart from DynamoDB. */
function storeAnswering(answers: Partial<Record<keyof JobStore, unknown>>): JobStore {
  const method = (name: keyof JobStore) => async () => answers[name];
  return Object.fromEntries(
    (['claim', 'recordDecision', 'markUnknown', 'applyProgress', 'applyFailure', 'markDropped', 'get'] as const).map((n) => [n, method(n)]),
  ) as unknown as JobStore;
}

const claimRequest = (state: ClaimRequest['state']): ClaimRequest => ({
  job: { ...aJob({ campaignId: 'c1' }), recipientCountry: 'DE' } as ClaimRequest['job'],
  token: 't',
  now: 0,
  createdAt: 0,
  validUntil: 1,
  state,
});

describe('countingStateChanges: the one owner of the state gauges', () => {
  it('moves a recipient into the state a settled claim records, and out of the waiting state it left', async () => {
    const tally = new BatchTally();
    const jobs = countingStateChanges(
      storeAnswering({ claim: { claimed: true, record: record('expired'), previousState: 'deferred' } }),
      tally,
    );
    await jobs.claim(claimRequest(JOB_STATES.expired));
    expect(tally.byCampaign.get('c1')).toEqual({ state_deferred: -1, state_expired: 1 });
  });

  it('counts no gauge for `sending`, which lasts one request, nor for a refused claim', async () => {
    const tally = new BatchTally();
    await countingStateChanges(storeAnswering({ claim: { claimed: true, record: record('sending') } }), tally).claim(
      claimRequest(JOB_STATES.sending),
    );
    await countingStateChanges(storeAnswering({ claim: { claimed: false, existing: record('accepted') } }), tally).claim(
      claimRequest(JOB_STATES.sending),
    );
    expect(tally.byCampaign.get('c1') ?? {}).toEqual({});
  });

  it('counts a recorded decision with its error code, and nothing when the claim was lost', async () => {
    const tally = new BatchTally();
    const failed = { state: JOB_STATES.failed, reason: '131026', errorCode: 131026 } as const;
    const write = { jobKey: JOB_KEY, token: 't', decision: failed, now: 0 };
    await countingStateChanges(storeAnswering({ recordDecision: true }), tally).recordDecision(write);
    await countingStateChanges(storeAnswering({ recordDecision: false }), tally).recordDecision(write);
    expect(tally.byCampaign.get('c1')).toEqual({ state_failed: 1, failedCode_131026: 1 });
  });

  it('moves a job on by a status, from the state (and failure code) it had', async () => {
    const tally = new BatchTally();
    const jobs = countingStateChanges(storeAnswering({ applyProgress: { written: true, before: record('failed', 131000) } }), tally);
    await jobs.applyProgress(JOB_KEY, 'wamid.1', { state: JOB_STATES.delivered });
    expect(tally.byCampaign.get('c1')).toEqual({ state_failed: -1, failedCode_131000: -1, state_delivered: 1 });
  });

  it('counts unknown, failure and dropped moves, and no move for a refused write', async () => {
    const tally = new BatchTally();
    await countingStateChanges(storeAnswering({ markUnknown: true }), tally).markUnknown(JOB_KEY, 't', 0, 'worker stopped');
    const deferred = { state: JOB_STATES.deferred, reason: 'r', dueAt: 1, attempt: 2, retries: 0, errorCode: 131049 } as const;
    await countingStateChanges(storeAnswering({ applyFailure: { written: true, before: record('accepted') } }), tally).applyFailure(
      record('accepted'),
      deferred,
      0,
    );
    await countingStateChanges(storeAnswering({ applyFailure: { written: false, current: record('read') } }), tally).applyFailure(
      record('accepted'),
      deferred,
      0,
    );
    await countingStateChanges(storeAnswering({ markDropped: 'sent' }), tally).markDropped(JOB_KEY, 0);
    await countingStateChanges(storeAnswering({ markDropped: undefined }), tally).markDropped(JOB_KEY, 0);
    expect(tally.byCampaign.get('c1')).toEqual({
      state_unknown: 1,
      state_accepted: -1,
      state_deferred: 1,
      state_sent: -1,
      state_dropped: 1,
    });
  });

  it('leaves reads and other writes to the store itself', async () => {
    const tally = new BatchTally();
    const jobs = countingStateChanges(storeAnswering({ get: record('read') }), tally);
    expect(await jobs.get(JOB_KEY)).toMatchObject({ state: 'read' });
    expect(tally.byCampaign.size).toBe(0);
  });
});
