import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_STATES, type JobState } from '../../../lib/domain/job-state.ts';
import { type CountedImage, countsOfImages, countsOfJob, isRecountable } from '../../../lib/jobs/state-gauges.ts';

const image = (state: JobState, extra: Partial<CountedImage> = {}): CountedImage => ({ state, attempt: 1, retries: 0, ...extra });

describe('countsOfImages: the counts one change of a job item makes', () => {
  it('counts a first acceptance once, and a later one only as accepted on a retry', () => {
    expect(countsOfImages(image('sending', { claimedFrom: 'none' }), image('accepted', { acceptedAt: 't1' }))).toEqual({
      state_accepted: 1,
      uniqueAccepted: 1,
    });
    const again = image('sending', { claimedFrom: 'deferred', acceptedAt: 't1', attempt: 2 });
    expect(countsOfImages(again, image('accepted', { acceptedAt: 't2', attempt: 2 }))).toEqual({
      state_deferred: -1,
      state_accepted: 1,
      acceptedOnRetry: 1,
    });
  });

  it('counts every 131049 the job tallies, also the one that ends it', () => {
    for (const state of ['deferred', 'limit_exhausted', 'expired'] as const) {
      const after = image(state, { lastErrorCode: 131049, perUserLimitHits: 2 });
      expect(countsOfImages(image('accepted', { perUserLimitHits: 1 }), after), state).toEqual({
        state_accepted: -1,
        [`state_${state}`]: 1,
        perUserLimitHits: 1,
      });
    }
  });

  it('moves a failed job out of its error code, and counts a first delivery once', () => {
    const failed = image('failed', { lastErrorCode: 131000, attempt: 2 });
    expect(countsOfImages(failed, image('delivered', { deliveredAt: 'x', attempt: 2 }))).toEqual({
      state_failed: -1,
      failedCode_131000: -1,
      state_delivered: 1,
      uniqueDelivered: 1,
      deliveredAfterRetry: 1,
    });
    expect(countsOfImages(image('delivered', { deliveredAt: 'x' }), image('read', { deliveredAt: 'x' }))).toEqual({
      state_delivered: -1,
      state_read: 1,
    });
  });

  it('counts a settlement into a new item, and a deferral before sending', () => {
    expect(countsOfImages(undefined, image('expired'))).toEqual({ state_expired: 1 });
    expect(countsOfImages(image('retry_wait'), image('deferred', { deferredBeforeSending: 1 }))).toEqual({
      state_retry_wait: -1,
      state_deferred: 1,
      deferredBeforeSending: 1,
    });
  });

  it('keeps a job being sent in the state it was claimed from, until its outcome', () => {
    expect(countsOfImages(undefined, image('sending', { claimedFrom: 'none' }))).toEqual({});
    expect(countsOfImages(image('retry_wait'), image('sending', { claimedFrom: 'retry_wait' }))).toEqual({});
    expect(countsOfImages(image('sending', { claimedFrom: 'retry_wait' }), image('unknown'))).toEqual({
      state_retry_wait: -1,
      state_unknown: 1,
    });
  });

  it('counts a re-send once, and no change that leaves the counted attributes as they were', () => {
    expect(countsOfImages(image('unknown'), image('retry_wait', { resentAt: 't' }))).toEqual({
      state_unknown: -1,
      state_retry_wait: 1,
      resentAfterUnknown: 1,
    });
    const accepted = image('accepted', { acceptedAt: 't', perUserLimitHits: 1 });
    expect(countsOfImages(accepted, { ...accepted })).toEqual({});
  });
});

const STATES = Object.values(JOB_STATES) as JobState[];
const TIMES = ['t1', 't2', 't3'];

/** A job's life as the stream shows it: images one after another, with tallies that only grow and times set as the writes set them. */
const life = fc
  .array(
    fc.record({
      state: fc.constantFrom(...STATES),
      claimedFrom: fc.constantFrom<JobState | 'none'>('none', ...STATES),
      accept: fc.option(fc.constantFrom(...TIMES), { nil: undefined }),
      deliver: fc.boolean(),
      resend: fc.boolean(),
      errorCode: fc.option(fc.constantFrom(131049, 131026, 130472), { nil: undefined }),
      attempt: fc.integer({ min: 1, max: 4 }),
      retries: fc.integer({ min: 0, max: 3 }),
      hits: fc.nat(2),
      retried: fc.nat(2),
      deferrals: fc.nat(1),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((steps) => {
    const images: CountedImage[] = [];
    let previous: CountedImage | undefined;
    for (const step of steps) {
      const next: CountedImage = {
        state: step.state,
        attempt: step.attempt,
        retries: step.retries,
        ...(step.state === 'sending' ? { claimedFrom: step.claimedFrom } : {}),
        ...(step.errorCode === undefined ? {} : { lastErrorCode: step.errorCode }),
        ...((step.accept ?? previous?.acceptedAt) ? { acceptedAt: step.accept ?? previous?.acceptedAt } : {}),
        ...(step.deliver || previous?.deliveredAt ? { deliveredAt: previous?.deliveredAt ?? 'd' } : {}),
        ...(step.resend || previous?.resentAt ? { resentAt: previous?.resentAt ?? 'r' } : {}),
        perUserLimitHits: (previous?.perUserLimitHits ?? 0) + step.hits,
        retriesScheduled: (previous?.retriesScheduled ?? 0) + step.retried,
        deferredBeforeSending: (previous?.deferredBeforeSending ?? 0) + step.deferrals,
      };
      images.push(next);
      previous = next;
    }
    return images;
  });

const recountable = (deltas: Record<string, number>) =>
  Object.fromEntries(Object.entries(deltas).filter(([name, n]) => isRecountable(name) && n !== 0));

describe('counting from the stream agrees with a recount of the items', () => {
  it('the deltas of every change of a job, summed, are what its last item recounts to (fast-check)', () => {
    fc.assert(
      fc.property(life, (images) => {
        const summed: Record<string, number> = {};
        let before: CountedImage | undefined;
        for (const after of images) {
          for (const [name, n] of Object.entries(countsOfImages(before, after))) summed[name] = (summed[name] ?? 0) + n;
          before = after;
        }
        expect(recountable(summed)).toEqual(recountable(countsOfJob(images.at(-1)!)));
      }),
      { numRuns: 500 },
    );
  });

  it('a gauge never counts a job twice: the gauges of any item sum to one, or none while first sent', () => {
    fc.assert(
      fc.property(life, (images) => {
        for (const item of images) {
          const states = Object.entries(countsOfJob(item)).filter(([name]) => name.startsWith('state_'));
          const total = states.reduce((sum, [, n]) => sum + n, 0);
          expect(total).toBe(item.state === 'sending' && item.claimedFrom === 'none' ? 0 : 1);
        }
      }),
    );
  });
});
