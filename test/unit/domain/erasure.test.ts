import { describe, expect, it } from 'vitest';
import { suppressionToKeep, whatsAppIdVariants } from '../../../lib/domain/erasure.ts';
import { EVERY_ACCOUNT } from '../../../lib/domain/opt-out.ts';

describe("a number's other WhatsApp-id form", () => {
  it.each([
    ['+5511987654321', ['+551187654321']],
    ['+551187654321', ['+5511987654321']],
    ['+5215512345678', ['+525512345678']],
    ['+525512345678', ['+5215512345678']],
    ['+4915112345678', []],
  ])('%s → %o', (e164, variants) => expect(whatsAppIdVariants(e164)).toEqual(variants));
});

describe('the suppression an erasure keeps', () => {
  const stop = { optedOut: true, source: 'keyword', at: '2026-01-01T00:01:00.000Z' };
  const resume = { optedOut: false, source: 'keyword', at: '2026-01-01T00:02:00.000Z' };

  it('is nothing for a user who never opted out, or resumed everywhere', () => {
    expect(suppressionToKeep([{}])).toBeUndefined();
    expect(suppressionToKeep([{ preferences: { '1': resume } }])).toBeUndefined();
  });

  it("keeps every account's choice, a resume too, so the choices still say the same per account", () => {
    expect(suppressionToKeep([{ preferences: { '1': stop, '2': resume } }])).toEqual({ '1': stop, '2': resume });
  });

  it('folds an opt-out from before accounts in as the every-account one, and merges the forms of one number, newest first', () => {
    const legacy = { optedOut: true, optOutSource: 'user_preferences', preferenceAt: stop.at };
    const underWaId = { preferences: { '1': resume, [EVERY_ACCOUNT]: { ...stop, at: '2025-12-31T00:00:00.000Z' } } };
    expect(suppressionToKeep([legacy, underWaId])).toEqual({
      [EVERY_ACCOUNT]: { optedOut: true, source: 'user_preferences', at: stop.at },
      '1': resume,
    });
  });
});
