import { describe, expect, it } from 'vitest';
import {
  ClaimInProgress,
  ConfigError,
  InvalidWebhookEvent,
  isRecordError,
  JobKeptChanging,
  NotStarted,
  ParkedUntilDue,
  TooLargeToDeadLetter,
  WamidNotFound,
} from '../../lib/errors.ts';

describe('record errors by intent', () => {
  it('tells each error’s intent, so batch loops switch on it', () => {
    expect(
      [new NotStarted('x'), new ClaimInProgress('x'), new TooLargeToDeadLetter('x'), new ParkedUntilDue('x')].map((e) => e.intent),
    ).toEqual(['hand-back', 'hand-back', 'hand-back', 'hand-back']);
    expect([new WamidNotFound('x'), new JobKeptChanging('x')].map((e) => e.intent)).toEqual(['hand-back-later', 'hand-back-later']);
    expect(new InvalidWebhookEvent('x').intent).toBe('dead-letter');
  });

  it('keeps the cause and the name', () => {
    const cause = new Error('root');
    const error = new InvalidWebhookEvent('status: bad', { cause });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('InvalidWebhookEvent');
    expect(error).toBeInstanceOf(Error);
  });

  it('recognises only its own errors', () => {
    expect(isRecordError(new NotStarted('x'))).toBe(true);
    expect(isRecordError(new Error('x'))).toBe(false);
    expect(isRecordError(new ConfigError('x'))).toBe(false);
    expect(isRecordError('text')).toBe(false);
  });

  it('counts expected outcomes as metrics, and leaves faults to the logs', () => {
    expect(new NotStarted('x').metric).toBe('RecordsNotStarted');
    expect(new WamidNotFound('x').metric).toBe('StatusesForUnknownWamid');
    expect(new JobKeptChanging('x').metric).toBe('StatusConflicts');
    expect(new InvalidWebhookEvent('x').metric).toBe('InvalidWebhookEvents');
    expect(new ClaimInProgress('x').metric).toBeUndefined();
  });
});

describe('redelivery delays', () => {
  it('waits twice as long for an unknown wamid on every receive, up to 15 minutes', () => {
    const delay = (receiveCount: number) => new WamidNotFound('x').delaySeconds({ receiveCount, random: () => 0 });
    expect([1, 2, 3, 4, 8, 9, 20].map(delay)).toEqual([5, 10, 20, 40, 640, 900, 900]);
    expect(delay(0)).toBe(5);
    expect(delay(Number.NaN)).toBe(5);
  });

  it('spreads conflicting statuses over 2 to 6 seconds', () => {
    const delay = (r: number) => new JobKeptChanging('x').delaySeconds({ receiveCount: 1, random: () => r });
    expect([0, 0.5, 0.999].map(delay)).toEqual([2, 4, 6]);
  });
});
