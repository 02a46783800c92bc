import { describe, expect, it } from 'vitest';
import { feedDispatchId, isFeedRowToken, rowOfFeedToken } from '../../../lib/domain/feed-dispatch-id.ts';
import { sendJobSchema } from '../../../lib/domain/job-contract.ts';

describe("the feeder's dispatch id", () => {
  it('names the row in ten digits and reads it back', () => {
    expect(feedDispatchId(42)).toBe('row-0000000042');
    expect(rowOfFeedToken(feedDispatchId(1_234_567))).toBe(1_234_567);
  });

  it('is a dispatch id the job contract accepts', () => {
    expect(sendJobSchema.shape.dispatchId.safeParse(feedDispatchId(9_999_999_999)).success).toBe(true);
  });

  it('is not confused with the ids the sender gives re-dispatched jobs or with SQS message ids', () => {
    expect(isFeedRowToken('2f1c9f3e-7c1b-4a55-9d1c-0c3f0f1f2a3b')).toBe(false);
    expect(isFeedRowToken('sqs:2f1c9f3e')).toBe(false);
    expect(isFeedRowToken('row-12')).toBe(false);
    expect(rowOfFeedToken('row-12')).toBeUndefined();
  });
});
