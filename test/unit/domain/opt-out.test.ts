import { describe, expect, it } from 'vitest';
import { preferenceFromMessage, waIdToE164 } from '../../../lib/domain/opt-out.ts';

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
