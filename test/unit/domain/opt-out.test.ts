import { describe, expect, it } from 'vitest';
import { EVERY_ACCOUNT, optOutFor, preferenceFromMessage, waIdToE164 } from '../../../lib/domain/opt-out.ts';

describe('opt-out matching', () => {
  const policy = { payloads: ['STOP_PROMOTIONS'], stopKeywords: ['STOP', 'UNSUBSCRIBE'], resumeKeywords: ['START'] };
  const msg = (m: Record<string, unknown>) => ({ from: '4915112345678', id: 'wamid.x', ...m }) as never;

  it.each([
    [msg({ type: 'button', button: { payload: 'STOP_PROMOTIONS', text: 'Stop' } }), { optedOut: true, source: 'quick_reply' }],
    [msg({ type: 'text', text: { body: ' Stop ' } }), { optedOut: true, source: 'keyword' }],
    [msg({ type: 'text', text: { body: 'unsubscribe' } }), { optedOut: true, source: 'keyword' }],
    [msg({ type: 'text', text: { body: 'start' } }), { optedOut: false, source: 'keyword' }],
    [msg({ type: 'text', text: { body: 'stop sending me offers please' } }), undefined],
    [msg({ type: 'button', button: { payload: 'BUY_NOW' } }), undefined],
    [msg({ type: 'image' }), undefined],
  ])('%o → %o', (message, expected) => {
    expect(preferenceFromMessage(message, policy)).toEqual(expected);
  });

  it('turns a wa_id into E.164', () => expect(waIdToE164('4915112345678')).toBe('+4915112345678'));
});

describe('the opt-out in force for an account', () => {
  const X = '100000000000000';
  const Y = '200000000000000';
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  const stop = (minute: number, source = 'keyword') => ({ optedOut: true, source, at: at(minute) });
  const resume = (minute: number) => ({ optedOut: false, source: 'keyword', at: at(minute) });

  it("is the account's own: a stop to one business leaves another alone", () => {
    const user = { preferences: { [X]: stop(1) } };
    expect(optOutFor(user, X)).toEqual({ source: 'keyword' });
    expect(optOutFor(user, Y)).toBeUndefined();
  });

  it("is lifted by the account's later resume", () => {
    expect(optOutFor({ preferences: { [X]: resume(2) } }, X)).toBeUndefined();
  });

  it('holds an opt-out from before accounts (or of no known account) for every account until that account resumes', () => {
    const legacy = { optedOut: true, optOutSource: 'user_preferences', preferenceAt: at(1) };
    expect(optOutFor(legacy, X)).toEqual({ source: 'user_preferences' });
    expect(optOutFor(legacy, Y)).toEqual({ source: 'user_preferences' });
    const resumedAtX = { ...legacy, preferences: { [X]: resume(2) } };
    expect(optOutFor(resumedAtX, X)).toBeUndefined();
    expect(optOutFor(resumedAtX, Y)).toEqual({ source: 'user_preferences' });
    expect(optOutFor({ preferences: { [EVERY_ACCOUNT]: stop(3, '131050'), [X]: resume(2) } }, X)).toEqual({ source: '131050' });
  });

  it('takes the stop when a stop and a resume carry the same time, and a legacy stop without a time yields to any resume', () => {
    expect(optOutFor({ preferences: { [EVERY_ACCOUNT]: stop(1), [X]: resume(1) } }, X)).toEqual({ source: 'keyword' });
    expect(optOutFor({ optedOut: true, preferences: { [X]: resume(0) } }, X)).toBeUndefined();
  });

  it('is none for an unknown user or one with only limit hits', () => {
    expect(optOutFor(undefined, X)).toBeUndefined();
    expect(optOutFor({}, X)).toBeUndefined();
  });
});
