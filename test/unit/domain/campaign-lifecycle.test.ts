import { describe, expect, it } from 'vitest';
import {
  CAMPAIGN_STATUSES,
  type CampaignStatus,
  FINAL_STATUSES,
  isCampaignStatus,
  mayTransition,
  nextStatuses,
  reconcileStatus,
} from '../../../lib/domain/campaign-lifecycle.ts';

const ALL = Object.values(CAMPAIGN_STATUSES);

describe('campaign lifecycle', () => {
  it('launches only through the trigger, and sends only after the preflight', () => {
    expect(nextStatuses('SCHEDULED', 'trigger')).toEqual(['LAUNCHING']);
    expect(nextStatuses('LAUNCHING', 'trigger').sort()).toEqual(['FAILED', 'SENDING']);
    expect(mayTransition('SCHEDULED', 'SENDING', 'operator')).toBe(false);
    expect(mayTransition('SCHEDULED', 'SENDING', 'trigger')).toBe(false);
  });

  it('lets operators pause, resume and cancel, and Meta pause and resume (template webhooks)', () => {
    expect(nextStatuses('SENDING', 'operator').sort()).toEqual(['CANCELLED', 'PAUSED']);
    expect(nextStatuses('PAUSED', 'operator').sort()).toEqual(['CANCELLED', 'SENDING']);
    expect(mayTransition('SENDING', 'PAUSED', 'meta')).toBe(true);
    expect(mayTransition('PAUSED', 'SENDING', 'meta')).toBe(true);
    expect(mayTransition('SENDING', 'CANCELLED', 'meta')).toBe(false);
  });

  it('completes only through the feeder, and lets a failed campaign be scheduled again', () => {
    expect(ALL.filter((from) => mayTransition(from, 'COMPLETED', 'feeder'))).toEqual(['SENDING']);
    expect(
      ALL.flatMap((from) => (['operator', 'trigger', 'meta'] as const).filter((actor) => mayTransition(from, 'COMPLETED', actor))),
    ).toEqual([]);
    expect(mayTransition('FAILED', 'SCHEDULED', 'operator')).toBe(true);
  });

  it('never leaves a final state', () => {
    for (const from of FINAL_STATUSES) {
      for (const actor of ['operator', 'trigger', 'feeder', 'meta'] as const) expect(nextStatuses(from, actor)).toEqual([]);
    }
  });

  it('can cancel every campaign that is not final', () => {
    const open = ALL.filter((status) => !FINAL_STATUSES.includes(status));
    expect(open.every((from) => mayTransition(from, 'CANCELLED', 'operator'))).toBe(true);
  });

  it('knows its statuses by their exact spelling only', () => {
    expect(ALL.every(isCampaignStatus)).toBe(true);
    expect(['paused', 'Paused', ' PAUSED', 'RUNNING', '', 3, undefined, null].some(isCampaignStatus)).toBe(false);
  });
});

describe('reconcileStatus: what an edit in the console does', () => {
  it('applies an allowed change, and takes an item without appliedStatus as scheduled', () => {
    expect(reconcileStatus({ status: 'PAUSED', appliedStatus: 'SENDING' })).toEqual({ kind: 'apply', from: 'SENDING', to: 'PAUSED' });
    expect(reconcileStatus({ status: 'CANCELLED' })).toEqual({ kind: 'apply', from: 'SCHEDULED', to: 'CANCELLED' });
    expect(reconcileStatus({ status: 'SCHEDULED' })).toEqual({ kind: 'unchanged', status: 'SCHEDULED' });
  });

  it('refuses a typo loudly, names the status it probably meant, and keeps the campaign as it was', () => {
    const refused = reconcileStatus({ status: 'paused', appliedStatus: 'SENDING' });
    expect(refused).toEqual({
      kind: 'refuse',
      status: 'SENDING',
      reason: `status "paused" is not a status the sender knows; did you mean PAUSED? (known: ${ALL.join(', ')})`,
    });
    expect(reconcileStatus({ status: 'STOP', appliedStatus: 'SENDING' })).toMatchObject({ kind: 'refuse', status: 'SENDING' });
    expect(reconcileStatus({ status: 7, appliedStatus: 'PAUSED' })).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('status 7'),
    });
    expect(reconcileStatus({ appliedStatus: 'PAUSED' })).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('status nothing'),
    });
  });

  it('refuses a move the lifecycle does not allow, saying what is allowed', () => {
    expect(reconcileStatus({ status: 'SENDING', appliedStatus: 'COMPLETED' })).toEqual({
      kind: 'refuse',
      status: 'COMPLETED',
      reason: 'status SENDING is not allowed after COMPLETED; COMPLETED is final',
    });
    expect(reconcileStatus({ status: 'COMPLETED', appliedStatus: 'SENDING' })).toEqual({
      kind: 'refuse',
      status: 'SENDING',
      reason: 'status COMPLETED is not allowed after SENDING; from SENDING an operator may set PAUSED or CANCELLED',
    });
  });

  it('lets each actor do only its own moves', () => {
    const asked: { status: CampaignStatus; appliedStatus: CampaignStatus } = { status: 'LAUNCHING', appliedStatus: 'SCHEDULED' };
    expect(reconcileStatus(asked, 'operator').kind).toBe('refuse');
    expect(reconcileStatus(asked, 'trigger')).toEqual({ kind: 'apply', from: 'SCHEDULED', to: 'LAUNCHING' });
  });
});
