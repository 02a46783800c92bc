import { describe, expect, it } from 'vitest';
import { BatchPacing } from '../../../lib/send/batch-pacing.ts';

const block = (askedAt: number, firstAt: number, lastAt: number, idleMs?: number) => ({
  phoneNumberId: '1555',
  askedAt,
  firstAt,
  lastAt,
  count: 10,
  ...(idleMs !== undefined ? { idleMs } : {}),
});

describe('the pacing line of a send invocation', () => {
  it("measures the hand-over from the environment's previous last send to the first reservation", () => {
    const first = new BatchPacing();
    first.record(block(1_000, 1_050, 2_000, 300));
    expect(first.close('env-a')).toEqual({ sends: 10, blocks: 1, leadMs: 50, idleMs: 300 });
    const second = new BatchPacing();
    second.record(block(2_700, 4_000, 5_000));
    second.record(block(4_500, 5_100, 5_400));
    expect(second.close('env-a')).toEqual({ sends: 20, blocks: 2, leadMs: 1_300, handOverMs: 700 });
    // Another environment has its own history.
    const other = new BatchPacing();
    other.record(block(3_000, 3_100, 3_500));
    expect(other.close('env-b')).not.toHaveProperty('handOverMs');
  });

  it('says nothing for an invocation that reserved nothing, and treats a long quiet spell as no hand-over and no gap', () => {
    expect(new BatchPacing().close('env-c')).toBeUndefined();
    const afterQuiet = new BatchPacing();
    afterQuiet.record(block(500_000, 500_050, 501_000, 3_600_000));
    expect(afterQuiet.close('env-e')).not.toHaveProperty('idleMs');
    const before = new BatchPacing();
    before.record(block(0, 50, 100));
    before.close('env-d');
    const after = new BatchPacing();
    after.record(block(120_000, 120_050, 121_000));
    expect(after.close('env-d')).not.toHaveProperty('handOverMs');
  });
});
