import { describe, expect, it } from 'vitest';
import { campaignFigures } from '../../lib/domain/campaign-figures.ts';
import { combineProgress, type ProgressReport, routeOf, statusApplies, type DeliveryStatus } from '../../lib/domain/delivery-state.ts';
import { ALL_STATES, type JobState } from '../../lib/domain/job-state.ts';
import { preferenceFromMessage, waIdToE164 } from '../../lib/domain/opt-out.ts';
import { splitWebhookPayload } from '../../lib/domain/webhook-events.ts';
import { checkSignature, signatureFor } from '../../lib/webhook/signature.ts';
import { BatchTally } from '../../lib/jobs/batch-tally.ts';
import { inboundPayload, statusesPayload, userPreferencePayload } from '../helpers/webhook-factories.ts';

describe('delivery state machine', () => {
  const table: Array<[JobState, DeliveryStatus, boolean]> = [
    ['accepted', 'sent', true],
    ['sent', 'sent', false],
    ['delivered', 'sent', false],
    ['read', 'sent', false],
    ['accepted', 'delivered', true],
    ['sent', 'delivered', true],
    ['delivered', 'delivered', false],
    ['read', 'delivered', false],
    ['failed', 'delivered', true],
    ['dropped', 'delivered', true],
    ['deferred', 'delivered', true],
    ['sending', 'delivered', false],
    ['accepted', 'read', true],
    ['delivered', 'read', true],
    ['read', 'read', false],
    ['failed', 'read', true],
    ['accepted', 'failed', true],
    ['sent', 'failed', true],
    ['delivered', 'failed', false],
    ['read', 'failed', false],
    ['failed', 'failed', false],
    ['deferred', 'failed', false],
  ];
  it.each(table)('%s + %s moves: %s', (state, status, moves) => {
    expect(statusApplies(state, status)).toBe(moves);
  });

  it('only ever moves forward: no status takes a read job anywhere', () => {
    for (const status of ['sent', 'delivered', 'read', 'failed'] as const) expect(statusApplies('read', status)).toBe(false);
    expect(ALL_STATES.filter((s) => statusApplies(s, 'failed')).sort()).toEqual(['accepted', 'sent', 'unknown']);
  });

  it('tells the route from pricing.category', () => {
    expect(routeOf('marketing_lite')).toBe('marketing_messages_api');
    expect(routeOf('marketing')).toBe('cloud_api_fallback');
    expect(routeOf(undefined)).toBeUndefined();
  });
});

describe('combineProgress: one write for a batch of statuses of one message', () => {
  const report = (status: ProgressReport['status'], at: number, route?: ProgressReport['route']): ProgressReport => ({ status, at, ...(route ? { route } : {}) });
  const sequences: ProgressReport['status'][][] = [];
  for (const first of ['sent', 'delivered', 'read'] as const) {
    sequences.push([first]);
    for (const second of ['sent', 'delivered', 'read'] as const) {
      sequences.push([first, second]);
      for (const third of ['sent', 'delivered', 'read'] as const) sequences.push([first, second, third]);
    }
  }

  it('ends every job in the state that applying the statuses one by one would', () => {
    for (const current of ALL_STATES) {
      for (const sequence of sequences) {
        const oneByOne = sequence.reduce<JobState>((state, status) => (statusApplies(state, status) ? status : state), current);
        const change = combineProgress(sequence.map((status, i) => report(status, i * 1000)))!;
        const combined = statusApplies(current, change.state) ? change.state : current;
        expect(combined, `${current} + ${sequence.join(', ')}`).toBe(oneByOne);
      }
    }
  });

  it('keeps the first time of each status; a read without a delivered dates the delivery', () => {
    expect(combineProgress([report('read', 3_000), report('sent', 1_000), report('read', 4_000)])).toEqual({ state: 'read', sentAt: 1_000, deliveredAt: 3_000, readAt: 3_000 });
    expect(combineProgress([report('sent', 1_000), report('delivered', 2_000, 'marketing_messages_api'), report('read', 5_000)])).toEqual({
      state: 'read',
      sentAt: 1_000,
      deliveredAt: 2_000,
      readAt: 5_000,
      route: 'marketing_messages_api',
    });
    expect(combineProgress([report('sent', 1_000)])).toEqual({ state: 'sent', sentAt: 1_000 });
    expect(combineProgress([])).toBeUndefined();
  });
});

describe('splitWebhookPayload', () => {
  it('makes one event per status, preference and inbound message', () => {
    const statuses = statusesPayload([
      { wamid: 'a', status: 'sent', recipient: '+491' },
      { wamid: 'b', status: 'read', recipient: '+492' },
    ]) as { entry: unknown[] };
    const merged = { object: 'whatsapp_business_account', entry: [...statuses.entry, ...(userPreferencePayload('+493', 'stop') as { entry: unknown[] }).entry, ...(inboundPayload('+494', { type: 'text', text: { body: 'hi' } }) as { entry: unknown[] }).entry] };
    const result = splitWebhookPayload(merged);
    expect(result.ok && result.events.map((e) => e.kind)).toEqual(['status', 'status', 'user_preference', 'inbound_message']);
  });

  it('keeps unknown fields and reports unhandled change fields', () => {
    const result = splitWebhookPayload({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'message_template_status_update', value: { event: 'APPROVED' } }] }], extra: true });
    expect(result).toEqual({ ok: true, events: [], ignoredFields: ['message_template_status_update'] });
  });

  it('refuses a payload that is not a WhatsApp Business Account payload', () => {
    expect(splitWebhookPayload({ entry: 'x' }).ok).toBe(false);
    expect(splitWebhookPayload(null).ok).toBe(false);
  });
});

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

describe('campaign figures', () => {
  it('count each recipient once in its current state, whatever the retries', () => {
    const tally = new BatchTally();
    // accepted, failed 131049 → deferred, sent again (sending), accepted, delivered.
    tally.transition('c', undefined, { state: 'accepted' });
    tally.count('c', 'uniqueAccepted');
    tally.transition('c', { state: 'accepted' }, { state: 'deferred' });
    tally.count('c', 'retriesScheduled');
    tally.transition('c', { state: 'deferred' }, { state: 'sending' });
    tally.transition('c', undefined, { state: 'accepted' });
    tally.count('c', 'acceptedOnRetry');
    tally.transition('c', { state: 'accepted' }, { state: 'delivered' });
    tally.count('c', 'uniqueDelivered');
    tally.count('c', 'deliveredAfterRetry');
    // another recipient failed permanently
    tally.transition('c', undefined, { state: 'accepted' });
    tally.count('c', 'uniqueAccepted');
    tally.transition('c', { state: 'accepted' }, { state: 'failed', errorCode: 131026 });
    const figures = campaignFigures(tally.byCampaign.get('c')!);
    expect(figures).toEqual({
      byState: { delivered: 1, failed: 1 },
      failedByCode: { 131026: 1 },
      uniqueAccepted: 2,
      uniqueDelivered: 1,
      deliveryRate: 0.5,
      retries: { scheduled: 1, acceptedOnRetry: 1, deliveredAfterRetry: 1 },
      perUserLimitHits: 0,
      deferredBeforeSending: 0,
      rejected: 0,
    });
  });

  it('has no delivery rate before anything was accepted', () => {
    expect(campaignFigures({}).deliveryRate).toBeUndefined();
  });
});
