import { describe, expect, it } from 'vitest';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../../../lib/domain/campaign-lifecycle.ts';
import { decideTemplateCampaignMove, metaPauseOf, TEMPLATE_PAUSE_REASON_PREFIX } from '../../../lib/domain/template-campaign-rule.ts';
import type { TemplateEvent, TemplateStatusEvent } from '../../../lib/domain/template-events.ts';

const AT = Date.parse('2027-01-15T08:00:00Z');
const ref = { kind: 'template' as const, templateId: '1', name: 'autumn_sale', language: 'de_DE', at: AT };
const status = (event: string, extra: Partial<Omit<TemplateStatusEvent, 'change'>> = {}): TemplateEvent => ({
  ...ref,
  ...extra,
  change: 'status',
  event,
});
const category = (previousCategory: string | undefined, newCategory: string): TemplateEvent => ({
  ...ref,
  change: 'category',
  newCategory,
  ...(previousCategory ? { previousCategory } : {}),
});
const quality = (newScore: string): TemplateEvent => ({ ...ref, change: 'quality', previousScore: 'YELLOW', newScore });

const S = CAMPAIGN_STATUSES;
const sending = { appliedStatus: S.sending };
const pausedByMeta = (at = AT) => ({
  appliedStatus: S.paused,
  statusReason: `${TEMPLATE_PAUSE_REASON_PREFIX} autumn_sale (de_DE) PAUSED at ${new Date(at).toISOString()}`,
});
const pausedByOperator = { appliedStatus: S.paused, statusReason: 'operator set PAUSED' };

describe('decideTemplateCampaignMove: status events', () => {
  it.each(['PAUSED', 'PENDING', 'ARCHIVED'])('pauses a sending campaign when the template is %s, saying Meta paused it', (event) => {
    const decision = decideTemplateCampaignMove(status(event, { title: 'FIRST_PAUSE', description: 'Paused for 3 hours.' }), sending);
    expect(decision).toMatchObject({ action: 'pause', to: S.paused });
    const reason = decision.action === 'pause' ? decision.statusReason : undefined;
    expect(reason).toBe(
      `${TEMPLATE_PAUSE_REASON_PREFIX} autumn_sale (de_DE) ${event} (FIRST_PAUSE: Paused for 3 hours.) at 2027-01-15T08:00:00.000Z`,
    );
    expect(metaPauseOf(reason)).toEqual({ at: AT });
  });

  it('leaves a paused campaign paused, with the reason it has (an operator’s pause stays the operator’s)', () => {
    expect(decideTemplateCampaignMove(status('PAUSED'), pausedByOperator)).toMatchObject({ action: 'none' });
  });

  it.each(['APPROVED', 'REINSTATED', 'UNARCHIVED'])('resumes a campaign Meta paused when the template is %s again', (event) => {
    const decision = decideTemplateCampaignMove(status(event, { at: AT + 3 * 3_600_000 }), pausedByMeta());
    expect(decision).toMatchObject({ action: 'resume', to: S.sending });
    // A resume clears the reason the pause wrote.
    expect('statusReason' in decision).toBe(false);
  });

  it('resumes on an event of the same second as the pause (Meta’s times are whole seconds)', () => {
    expect(decideTemplateCampaignMove(status('APPROVED'), pausedByMeta())).toMatchObject({ action: 'resume' });
  });

  it('does not resume a campaign an operator paused', () => {
    expect(decideTemplateCampaignMove(status('REINSTATED'), pausedByOperator)).toMatchObject({
      action: 'none',
      why: expect.stringContaining('not paused by Meta'),
    });
    expect(decideTemplateCampaignMove(status('APPROVED'), { appliedStatus: S.paused })).toMatchObject({ action: 'none' });
  });

  it('does not resume on an approval older than the pause (a late or redelivered webhook)', () => {
    expect(decideTemplateCampaignMove(status('APPROVED', { at: AT - 60_000 }), pausedByMeta())).toMatchObject({
      action: 'none',
      why: expect.stringContaining('before the pause'),
    });
  });

  it('resumes a Meta pause whose reason lost its time (edited in the console)', () => {
    const decision = decideTemplateCampaignMove(status('APPROVED'), {
      appliedStatus: S.paused,
      statusReason: `${TEMPLATE_PAUSE_REASON_PREFIX} paused`,
    });
    expect(decision).toMatchObject({ action: 'resume' });
  });

  it('does nothing for an approval of a campaign that is sending', () => {
    expect(decideTemplateCampaignMove(status('APPROVED'), sending)).toMatchObject({ action: 'none' });
  });

  it.each([
    ['DISABLED', S.sending],
    ['REJECTED', S.sending],
    ['PENDING_DELETION', S.paused],
    ['DELETED', S.paused],
  ] as const)('fails the campaign when the template is %s (campaign %s), with the reason', (event, appliedStatus) => {
    const decision = decideTemplateCampaignMove(status(event, { reason: 'SCAM' }), { appliedStatus, statusReason: 'operator set PAUSED' });
    expect(decision).toEqual({
      action: 'fail',
      to: S.failed,
      why: `template unusable: autumn_sale (de_DE) ${event} (SCAM) at 2027-01-15T08:00:00.000Z`,
      statusReason: `template unusable: autumn_sale (de_DE) ${event} (SCAM) at 2027-01-15T08:00:00.000Z`,
    });
  });

  it.each(['FLAGGED', 'LOCKED', 'IN_APPEAL', 'SOMETHING_NEW'])('does nothing when the template is %s: it can still be sent', (event) => {
    expect(decideTemplateCampaignMove(status(event), sending)).toMatchObject({ action: 'none' });
  });

  it.each([S.scheduled, S.launching, S.failed, S.completed, S.cancelled] as CampaignStatus[])(
    'leaves a %s campaign to the preflight or as it is',
    (appliedStatus) => {
      for (const event of ['PAUSED', 'DISABLED', 'APPROVED']) {
        expect(decideTemplateCampaignMove(status(event), { appliedStatus })).toMatchObject({ action: 'none' });
      }
    },
  );
});

describe('decideTemplateCampaignMove: category and quality events', () => {
  it.each(['UTILITY', 'AUTHENTICATION'])('fails a sending or paused campaign whose template became %s', (next) => {
    for (const campaign of [sending, pausedByMeta()]) {
      expect(decideTemplateCampaignMove(category('MARKETING', next), campaign)).toMatchObject({
        action: 'fail',
        statusReason: expect.stringContaining(`category MARKETING → ${next}`),
      });
    }
  });

  it('does nothing when the template became (or stays) marketing', () => {
    expect(decideTemplateCampaignMove(category('UTILITY', 'MARKETING'), sending)).toMatchObject({ action: 'none' });
  });

  it('does nothing for an impending change: the completed one follows', () => {
    expect(decideTemplateCampaignMove(category(undefined, 'MARKETING'), sending)).toMatchObject({
      action: 'none',
      why: expect.stringContaining('not changed yet'),
    });
  });

  it.each(['RED', 'YELLOW', 'GREEN', 'UNKNOWN'])('does nothing for a quality score of %s (Meta pauses the template itself)', (score) => {
    expect(decideTemplateCampaignMove(quality(score), sending)).toMatchObject({ action: 'none' });
  });
});

describe('metaPauseOf', () => {
  it('recognises only reasons with the prefix, and reads the last time in them', () => {
    expect(metaPauseOf(undefined)).toBeUndefined();
    expect(metaPauseOf('operator set PAUSED')).toBeUndefined();
    expect(
      metaPauseOf(`${TEMPLATE_PAUSE_REASON_PREFIX} a (en) PAUSED (until 2027-01-01T00:00:00Z at 1 AM) at 2027-01-15T08:00:00.000Z`),
    ).toEqual({ at: AT });
  });
});
