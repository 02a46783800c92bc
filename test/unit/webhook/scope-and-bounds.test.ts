import { describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../../lib/domain/webhook-events.ts';
import { servedAccounts } from '../../../lib/domain/whatsapp-accounts.ts';
import { boundedEvent, MAX_EVENT_BYTES, MAX_EVENT_DEPTH, nestsDeeperThan } from '../../../lib/webhook/event-bounds.ts';
import { foreignObjectPart, scopeToServedAccounts, type WebhookPayload } from '../../../lib/webhook/scope.ts';
import { readSignatureHeader } from '../../../lib/webhook/signature.ts';
import { verifyTokenMatches } from '../../../lib/webhook/verify-token.ts';

const accounts = servedAccounts({ '100000000000000': ['100000000000001'], '200000000000000': ['200000000000001'] });
const statusChange = (phoneNumberId?: string, statuses: unknown[] = [{ id: 'wamid.1' }]) => ({
  field: 'messages',
  value: { ...(phoneNumberId ? { metadata: { phone_number_id: phoneNumberId } } : {}), statuses },
});
const payload = (...entry: WebhookPayload['entry']): WebhookPayload => ({ object: 'whatsapp_business_account', entry });

describe('scopeToServedAccounts', () => {
  it('keeps the served number under its own account and names every other part with its reason and event count', () => {
    const { served, unserved } = scopeToServedAccounts(
      payload(
        { id: '100000000000000', changes: [statusChange('100000000000001'), statusChange('200000000000001', [{}, {}])] },
        { id: '300000000000000', changes: [statusChange('100000000000001')] },
        { id: '200000000000000', changes: [statusChange(undefined)] },
      ),
      accounts,
    );
    expect(served.entry.map((entry) => entry.changes.length)).toEqual([1, 0, 0]);
    expect(unserved).toEqual([
      { reason: 'phone_number', field: 'messages', accountId: '100000000000000', phoneNumberId: '200000000000001', events: 2 },
      { reason: 'account', field: 'messages', accountId: '300000000000000', phoneNumberId: '100000000000001', events: 1 },
      { reason: 'phone_number', field: 'messages', accountId: '200000000000000', events: 1 },
    ]);
  });

  it('scopes template changes by their account alone', () => {
    const template = { field: 'message_template_status_update', value: { event: 'PAUSED' } };
    const { served, unserved } = scopeToServedAccounts(
      payload({ id: '200000000000000', changes: [template] }, { changes: [template] }),
      accounts,
    );
    expect(served.entry.map((entry) => entry.changes.length)).toEqual([1, 0]);
    expect(unserved).toEqual([{ reason: 'account', field: 'message_template_status_update', events: 1 }]);
  });

  it('leaves changes that queue nothing to the split, which logs their field', () => {
    const { unserved } = scopeToServedAccounts(
      payload({ id: '300000000000000', changes: [{ field: 'account_update', value: {} }] }),
      accounts,
    );
    expect(unserved).toEqual([]);
  });

  it('names a payload for another object by its entries', () => {
    expect(foreignObjectPart({ object: 'page', entry: [{}, {}, {}] })).toEqual({ reason: 'object', field: 'page', events: 3 });
    expect(foreignObjectPart({ object: 'instagram' })).toEqual({ reason: 'object', field: 'instagram', events: 1 });
    expect(foreignObjectPart({ object: 'whatsapp_business_account', entry: [] })).toBeUndefined();
    expect(foreignObjectPart({ object: 7 })).toBeUndefined();
    expect(foreignObjectPart([])).toBeUndefined();
  });
});

describe('boundedEvent', () => {
  const deep = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

  it('measures nesting without recursion, at any depth', () => {
    expect(nestsDeeperThan(deep(32), 32)).toBe(false);
    expect(nestsDeeperThan(deep(33), 32)).toBe(true);
    expect(nestsDeeperThan(deep(1_000_000), 32)).toBe(true);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: 2 }] }, 2)).toBe(true);
  });

  it('replaces content too deep or too large with the reason and its short fields, and leaves the rest alone', () => {
    const status = { id: 'wamid.x', status: 'read', errors: deep(MAX_EVENT_DEPTH), long: 'y'.repeat(300) };
    const event: WebhookEvent = { kind: 'status', phoneNumberId: '1', status };
    expect(boundedEvent(event)).toEqual({
      event: {
        kind: 'status',
        phoneNumberId: '1',
        status: { rejectedByWebhook: `nested deeper than ${MAX_EVENT_DEPTH} levels`, kept: { id: 'wamid.x', status: 'read' } },
      },
      rejected: `nested deeper than ${MAX_EVENT_DEPTH} levels`,
    });
    const large: WebhookEvent = {
      kind: 'template',
      field: 'message_template_status_update',
      value: { reason: 'z'.repeat(MAX_EVENT_BYTES) },
    };
    expect(boundedEvent(large).rejected).toBe(`${MAX_EVENT_BYTES + 13} bytes, over ${MAX_EVENT_BYTES}`);
    const fine: WebhookEvent = { kind: 'user_action', action: { a: deep(MAX_EVENT_DEPTH - 1) } };
    expect(boundedEvent(fine)).toEqual({ event: fine });
  });
});

describe('verifyTokenMatches', () => {
  it('matches the token only, whatever the given one is made of', () => {
    expect(verifyTokenMatches('local-verify-token', 'local-verify-token')).toBe(true);
    for (const given of [undefined, '', 'local-verify-tokeN', 'é'.repeat(18), 'é'.repeat(9), '😀'.repeat(9), 'local-verify-token\u0000']) {
      expect(verifyTokenMatches(given, 'local-verify-token')).toBe(false);
    }
  });
});

describe('readSignatureHeader', () => {
  const digest = 'ab'.repeat(32);
  it('reads one sha256 value in any case of hex, and tells a missing header from a malformed one', () => {
    expect(readSignatureHeader(`sha256=${digest.toUpperCase()}`)).toEqual({ digest: Buffer.from(digest, 'hex') });
    expect(readSignatureHeader(undefined)).toEqual({ problem: 'missing' });
    expect(readSignatureHeader('  ')).toEqual({ problem: 'missing' });
    for (const header of [`sha1=${digest}`, `sha256=${digest}, sha256=${digest}`, `sha256=${digest}a`, `sha256=${digest.slice(1)}é`]) {
      expect(readSignatureHeader(header)).toEqual({ problem: 'invalid' });
    }
  });
});
