import type { Campaign, ParameterSource } from './campaign-contract.ts';
import { SEND_JOB_SCHEMA_VERSION, type SendJobInput } from './job-contract.ts';
import type { RecipientPolicy } from './phone.ts';
import { type Rejection, type ValidJob, validateJob } from './validate-job.ts';

/** One row of the audience file: a CSV record by header, or one JSON Lines object. */
export type AudienceRow = Readonly<Record<string, unknown>>;

/** What a row becomes, with the row's number (from 1, the header not counted) for the rejection report. */
export type RowOutcome = { ok: true; job: ValidJob } | { ok: false; row: number; rejection: Rejection };

/** Everything a row is turned into a job with. */
export interface RowContext {
  campaign: Campaign;
  /** The campaign's launch instant (epoch ms): every job's validity counts from it. */
  launchedAt: number;
  /** The validity in seconds: the campaign's own, or the template's TTL. */
  validitySeconds: number;
  policy: RecipientPolicy;
}

/** A parameter's value could not be taken from the row. */
class MissingColumn extends Error {
  override name = 'MissingColumn';
}

/**
 * Turns one audience row into the campaign's job for that recipient, validated exactly as the
 * send function will validate it (the recipient normalised to E.164, restricted countries refused),
 * or says why the row cannot be sent. Pure: the row number and the launch time are given.
 */
export function jobFromRow(rowValues: AudienceRow, row: number, context: RowContext): RowOutcome {
  const { campaign } = context;
  try {
    const job: SendJobInput = {
      schemaVersion: SEND_JOB_SCHEMA_VERSION,
      campaignId: campaign.campaignId,
      recipient: text(rowValues, campaign.audience.recipientColumn),
      phoneNumberId: campaign.phoneNumberId,
      template: templateOf(campaign, rowValues),
      validitySeconds: context.validitySeconds,
      createdAt: new Date(context.launchedAt).toISOString(),
      ...(campaign.productPolicy ? { productPolicy: campaign.productPolicy } : {}),
      ...(campaign.callbackData ? { callbackData: fillCallbackData(campaign.callbackData, { campaign, row, rowValues }) } : {}),
    };
    const validation = validateJob(job, context.policy);
    return validation.ok ? validation : { ok: false, row, rejection: validation.rejection };
  } catch (error) {
    if (!(error instanceof MissingColumn)) throw error;
    return { ok: false, row, rejection: { reason: 'schema_violation', detail: error.message, campaignId: campaign.campaignId } };
  }
}

/** The row's text in a column: strings as they are (trimmed), numbers as written; anything else is missing. */
function text(rowValues: AudienceRow, column: string): string {
  const value = rowValues[column];
  const written = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (written === '') throw new MissingColumn(`column ${column} is empty or missing`);
  return written;
}

function parameterValue(source: ParameterSource, rowValues: AudienceRow): string {
  return 'value' in source ? source.value : text(rowValues, source.column);
}

/** Meta's template object for this recipient: each mapped parameter filled from its fixed value or the row. */
function templateOf({ template }: Campaign, rowValues: AudienceRow): SendJobInput['template'] {
  const components: NonNullable<SendJobInput['template']['components']> = [];
  if (template.header)
    components.push({ type: 'header', parameters: [{ type: 'text', text: parameterValue(template.header, rowValues) }] });
  if (template.body) {
    const parameters = Array.isArray(template.body)
      ? template.body.map((source) => ({ type: 'text' as const, text: parameterValue(source, rowValues) }))
      : Object.entries(template.body).map(([name, source]) => ({
          type: 'text' as const,
          text: parameterValue(source, rowValues),
          parameter_name: name,
        }));
    components.push({ type: 'body', parameters });
  }
  for (const button of template.buttons ?? []) {
    const value = parameterValue(button.source, rowValues);
    const parameter =
      button.subType === 'url'
        ? { type: 'text' as const, text: value }
        : button.subType === 'quick_reply'
          ? { type: 'payload' as const, payload: value }
          : { type: 'coupon_code' as const, coupon_code: value };
    components.push({ type: 'button', sub_type: button.subType, index: String(button.index), parameters: [parameter] });
  }
  return { name: template.name, language: { code: template.language }, ...(components.length > 0 ? { components } : {}) };
}

/** The callback data pattern with `{campaignId}`, `{row}` and `{column:name}` filled in. */
function fillCallbackData(
  pattern: string,
  { campaign, row, rowValues }: { campaign: Campaign; row: number; rowValues: AudienceRow },
): string {
  return pattern.replace(/\{(campaignId|row|column:([^}]+))\}/g, (_whole, key: string, column: string | undefined) => {
    if (key === 'campaignId') return campaign.campaignId;
    if (key === 'row') return String(row);
    return text(rowValues, column!);
  });
}
