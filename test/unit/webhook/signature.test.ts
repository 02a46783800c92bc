import { describe, expect, it } from 'vitest';
import { checkSignature, signatureFor } from '../../../lib/webhook/signature.ts';

describe('webhook signature', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account"}');
  it('accepts the right signature and rejects the rest', () => {
    expect(checkSignature(body, signatureFor(body, 's3cret'), 's3cret')).toBe('valid');
    expect(checkSignature(body, signatureFor(body, 's3cret').toUpperCase().replace('SHA256', 'sha256'), 's3cret')).toBe('valid');
    expect(checkSignature(body, signatureFor(body, 'other'), 's3cret')).toBe('invalid');
    expect(checkSignature(Buffer.from(`${body} `), signatureFor(body, 's3cret'), 's3cret')).toBe('invalid');
    expect(checkSignature(body, 'sha1=abc', 's3cret')).toBe('invalid');
    expect(checkSignature(body, undefined, 's3cret')).toBe('missing');
  });
});
