import { describe, expect, it } from 'vitest';
import { JOB_STATES } from '../../../lib/domain/job-state.ts';
import type { Decision } from '../../../lib/domain/send-plan.ts';
import { BatchTally } from '../../../lib/jobs/batch-tally.ts';
import type { ClaimRequest, JobRecord } from '../../../lib/jobs/job-record.ts';
import type { CountedChange, JobStore } from '../../../lib/jobs/job-store.ts';
import { countingStateChanges, countsOfChange } from '../../../lib/jobs/state-gauges.ts';
import { aJob } from '../../helpers/factories.ts';

const JOB_KEY = 'c1#+4915112345678';
const record = (state: JobRecord['state'], extra: Partial<JobRecord> = {}) =>
  ({ jobKey: JOB_KEY, campaignId: 'c1', recipient: '+4915112345678', state, attempt: 1, retries: 0, ...extra }) as JobRecord;

const limitHit = (state: 'deferred' | 'limit_exhausted' | 'expired'): Decision =>
  state === 'deferred'
    ? { state, reason: '131049', dueAt: 1, attempt: 2, retries: 1, errorCode: 131049, errorKind: 'per_user_limit' }
    : { state, reason: '131049', errorCode: 131049 };

describe('countsOfChange: the counts one job change makes', () => {
  it('counts a first acceptance once, and a later one only as accepted on a retry', () => {
    const accepted: Decision = { state: 'accepted', wamid: 'w', messageStatus: 'accepted' };
    expect(countsOfChange(record('sending', { claimedFrom: 'none' }), { kind: 'decision', decision: accepted })).toEqual({
      state_accepted: 1,
      uniqueAccepted: 1,
    });
    const again = record('sending', { claimedFrom: 'deferred', acceptedAt: 'x', attempt: 2, retries: 1 });
    expect(countsOfChange(again, { kind: 'decision', decision: accepted })).toEqual({
      state_deferred: -1,
      state_accepted: 1,
      acceptedOnRetry: 1,
    });
  });

  it('counts every 131049 as a hit, also the one that ends the job', () => {
    for (const state of ['deferred', 'limit_exhausted', 'expired'] as const) {
      const deltas = countsOfChange(record('accepted'), { kind: 'decision', decision: limitHit(state) });
      expect(deltas, state).toMatchObject({ perUserLimitHits: 1, state_accepted: -1, [`state_${state}`]: 1 });
    }
  });

  it('moves a failed job out of its error code, and counts a first delivery once', () => {
    const failed = record('failed', { lastErrorCode: 131000, attempt: 2 });
    expect(countsOfChange(failed, { kind: 'progress', state: 'delivered' })).toEqual({
      state_failed: -1,
      failedCode_131000: -1,
      state_delivered: 1,
      uniqueDelivered: 1,
      deliveredAfterRetry: 1,
    });
    expect(countsOfChange(record('delivered', { deliveredAt: 'x' }), { kind: 'progress', state: 'read' })).toEqual({
      state_delivered: -1,
      state_read: 1,
    });
  });

  it('counts a settlement from no item, and a deferral before sending', () => {
    expect(countsOfChange(undefined, { kind: 'settlement', state: 'expired' })).toEqual({ state_expired: 1 });
    expect(countsOfChange(record('retry_wait'), { kind: 'settlement', state: 'deferred' })).toEqual({
      state_retry_wait: -1,
      state_deferred: 1,
      deferredBeforeSending: 1,
    });
  });

  it('keeps a job being sent in the state it was claimed from, until its outcome', () => {
    const unknown: Decision = { state: 'unknown', reason: 'worker stopped' };
    expect(countsOfChange(record('sending', { claimedFrom: 'retry_wait' }), { kind: 'decision', decision: unknown })).toEqual({
      state_retry_wait: -1,
      state_unknown: 1,
    });
    expect(countsOfChange(record('sending'), { kind: 'decision', decision: unknown })).toEqual({ state_unknown: 1 });
  });
});

/** A port-level stand-in that records what each write was asked to count. */
function recordingStore(current: JobRecord | undefined, written = true) {
  const counted: Array<{ method: string; change: CountedChange | undefined }> = [];
  const write =
    (method: string, answer: (change: CountedChange | undefined) => unknown) =>
    async (...args: unknown[]) => {
      const change = args.find((arg) => typeof arg === 'object' && arg !== null && 'deltas' in arg) as CountedChange | undefined;
      counted.push({ method, change });
      return answer(change);
    };
  const refused = { written: false, current };
  const store = {
    get: async () => current,
    claim: write('claim', () =>
      written ? { claimed: true, record: record('sending', { claimedFrom: 'none' }) } : { claimed: false, existing: current },
    ),
    recordDecision: write('recordDecision', () => written),
    markUnknown: write('markUnknown', () => written),
    applyProgress: write('applyProgress', () => (written ? { written: true, before: current } : refused)),
    applyFailure: write('applyFailure', () => (written ? { written: true, before: current } : refused)),
    markDropped: write('markDropped', () => (written ? current?.state : undefined)),
  } as unknown as JobStore;
  return { store, counted };
}

const claimRequest = (state: ClaimRequest['state'], token = 't'): ClaimRequest => ({
  job: { ...aJob({ campaignId: 'c1', recipient: '+4915112345678' }), recipientCountry: 'DE' } as ClaimRequest['job'],
  token,
  now: 0,
  createdAt: 0,
  validUntil: 1,
  state,
});

describe('countingStateChanges: every job change carries its counts', () => {
  it('claims for sending without counting, then counts the outcome from the state it was claimed from', async () => {
    const { store, counted } = recordingStore(undefined);
    const jobs = countingStateChanges(store, new BatchTally());
    await jobs.claim(claimRequest(JOB_STATES.sending));
    await jobs.recordDecision({
      jobKey: JOB_KEY,
      token: 't',
      now: 0,
      decision: { state: 'accepted', wamid: 'w', messageStatus: 'accepted' },
    });
    expect(counted).toEqual([
      { method: 'claim', change: undefined },
      { method: 'recordDecision', change: { deltas: { state_accepted: 1, uniqueAccepted: 1 } } },
    ]);
  });

  it('settles a waiting job only for the message it waits for, conditional on the state it counted from', async () => {
    const waiting = record('deferred', { nextDispatchId: 'next' });
    const { store, counted } = recordingStore(waiting);
    const jobs = countingStateChanges(store, new BatchTally());
    expect(await jobs.claim(claimRequest(JOB_STATES.expired, 'other'))).toMatchObject({ claimed: false });
    await jobs.claim(claimRequest(JOB_STATES.expired, 'next'));
    expect(counted).toEqual([{ method: 'claim', change: { deltas: { state_deferred: -1, state_expired: 1 }, observedState: 'deferred' } }]);
  });

  it('applies a status only to the state it read, and says so when the job is not that job any more', async () => {
    const { store, counted } = recordingStore(record('sent', { wamid: 'w1' }));
    const jobs = countingStateChanges(store, new BatchTally());
    expect(await jobs.applyProgress(JOB_KEY, 'w0', { state: 'delivered' })).toMatchObject({ written: false });
    expect(await jobs.applyProgress(JOB_KEY, 'w1', { state: 'delivered' })).toMatchObject({ written: true, before: { state: 'sent' } });
    expect(counted).toEqual([
      {
        method: 'applyProgress',
        change: { deltas: { state_sent: -1, state_delivered: 1, uniqueDelivered: 1 }, observedState: 'sent' },
      },
    ]);
  });

  it('hands a status back after the job kept changing under it', async () => {
    const tally = new BatchTally();
    const { store } = recordingStore(record('sent', { wamid: 'w1' }), false);
    await expect(countingStateChanges(store, tally).applyProgress(JOB_KEY, 'w1', { state: 'read' })).rejects.toThrow(/kept changing/);
    expect(tally.metrics.get('CountedWritesRaced')).toBe(3);
  });

  it('marks unknown only the claim it names, and drops only an open job', async () => {
    const sending = record('sending', { claimToken: 't', claimedFrom: 'retry_wait' });
    const first = recordingStore(sending);
    const jobs = countingStateChanges(first.store, new BatchTally());
    expect(await jobs.markUnknown(JOB_KEY, 'someone else', 0, 'worker stopped')).toBe(false);
    expect(await jobs.markUnknown(JOB_KEY, 't', 0, 'worker stopped')).toBe(true);
    expect(first.counted).toEqual([{ method: 'markUnknown', change: { deltas: { state_retry_wait: -1, state_unknown: 1 } } }]);
    const second = recordingStore(record('delivered'));
    expect(await countingStateChanges(second.store, new BatchTally()).markDropped(JOB_KEY, 0)).toBeUndefined();
    expect(second.counted).toEqual([]);
  });
});
