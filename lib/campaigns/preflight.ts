import { type Campaign, requiredColumns } from '../domain/campaign-contract.ts';
import {
  checkTemplate,
  decideValidity,
  numberNotServed,
  type PreflightProblem,
  type RateDecision,
  rateFromPhone,
  templateMissing,
  type ValidityDecision,
} from '../domain/preflight.ts';
import { AudienceMalformed, AudienceNotFound } from '../errors.ts';
import type { AudienceSource, AudienceVersion } from '../ports/audience-source.ts';
import type { PhoneNumberInfo, TemplateInfo, WhatsAppAccount } from '../ports/whatsapp-account.ts';
import type { PreflightResult } from './context.ts';

export interface PreflightRequest {
  campaign: Campaign;
  /** The WhatsApp Business Account of the campaign's phone number, whose templates it uses; undefined: a number not served. */
  businessAccountId: string | undefined;
  account: WhatsAppAccount;
  audience: AudienceSource;
  /** Whether the launch may set the template's TTL to the campaign's validity. */
  setTtlAllowed: boolean;
  /** The sender's configured rate for the campaign's phone number (messages per second). */
  configuredRate: number;
}

/**
 * The launch's preflight: reads the template, the phone number and the audience (its version and
 * its first row only), and gathers every problem at once so the operator fixes them in one go. It
 * passes with the facts the campaign keeps for its life, or fails with the problems; nothing is
 * enqueued either way. The template's TTL is edited only when everything else passed, since Meta
 * limits how often an approved template may be edited. Failures to reach Meta or S3 are thrown
 * (the campaign stays LAUNCHING and the next tick runs the preflight again).
 */
export async function runPreflight(request: PreflightRequest): Promise<PreflightResult> {
  const { campaign, businessAccountId, account, audience } = request;
  if (businessAccountId === undefined) return { ok: false, problems: [numberNotServed(campaign)] };
  const [template, phone, version] = await Promise.all([
    account.findTemplate(businessAccountId, campaign.template.name, campaign.template.language),
    account.phoneNumber(campaign.phoneNumberId),
    describeAudience(audience, campaign),
  ]);
  const problems: PreflightProblem[] = template ? checkTemplate(campaign, template) : [templateMissing(campaign, businessAccountId)];
  const validity = template
    ? decideValidity({ campaign, templateTtlSeconds: template.ttlSeconds, setTtlAllowed: request.setTtlAllowed })
    : undefined;
  if (validity?.action === 'refuse') problems.push(validity.problem);
  const rate = phoneRate(campaign, phone, request.configuredRate);
  if (!rate.ok) problems.push(rate.problem);
  if (version) problems.push(...(await checkAudienceColumns(audience, campaign, version)));
  else problems.push({ code: 'audience-missing', message: `the audience file ${audienceName(campaign)} does not exist or cannot be read` });
  if (problems.length > 0 || !template || !validity || validity.action === 'refuse' || !rate.ok || !version) {
    return { ok: false, problems };
  }
  const ttlProblem = await applyTtl(account, template, validity);
  if (ttlProblem) return { ok: false, problems: [ttlProblem] };
  return {
    ok: true,
    facts: {
      templateTtlSeconds: validity.templateTtlSeconds,
      validitySeconds: validity.validitySeconds,
      ratePerSecond: rate.ratePerSecond,
      audienceEtag: version.etag,
      audienceSize: version.size,
    },
  };
}

function phoneRate(campaign: Campaign, phone: PhoneNumberInfo | undefined, configuredRate: number): RateDecision {
  if (phone) return rateFromPhone({ phone, configuredRate });
  const message = `phone number ${campaign.phoneNumberId} does not exist or this token cannot see it`;
  return { ok: false, problem: { code: 'phone-number-missing', message } };
}

const audienceName = (campaign: Campaign) => `s3://${campaign.audience.bucket}/${campaign.audience.key}`;

async function describeAudience(audience: AudienceSource, campaign: Campaign): Promise<AudienceVersion | undefined> {
  try {
    return await audience.describe({ bucket: campaign.audience.bucket, key: campaign.audience.key });
  } catch (error) {
    if (error instanceof AudienceNotFound) return undefined;
    throw error;
  }
}

/** Sets the template's TTL when the decision says so; a refusal by Meta is a problem for the operator. */
async function applyTtl(
  account: WhatsAppAccount,
  template: TemplateInfo,
  validity: Exclude<ValidityDecision, { action: 'refuse' }>,
): Promise<PreflightProblem | undefined> {
  if (validity.action !== 'set-template-ttl') return undefined;
  const result = await account.setTemplateTtl(template.id, validity.templateTtlSeconds);
  if (result.ok) return undefined;
  return {
    code: 'template-ttl-not-set',
    message:
      `could not set the TTL of template "${template.name}" (${template.language}) from ${validity.currentTtlSeconds} s ` +
      `to the campaign's validity of ${validity.validitySeconds} s: Meta answered ${result.failure.message}`,
  };
}

/**
 * The audience's columns from its first row only: a CSV's header (carried by every record's
 * checkpoint), or the keys of the first JSON Lines object. Every column the campaign maps must be
 * there.
 */
async function checkAudienceColumns(audience: AudienceSource, campaign: Campaign, version: AudienceVersion): Promise<PreflightProblem[]> {
  const name = audienceName(campaign);
  let columns: readonly string[] | undefined;
  try {
    const first = await firstRecord(audience, campaign, version);
    if (!first) return [{ code: 'audience-empty', message: `the audience file ${name} has no rows` }];
    columns = campaign.audience.format === 'csv' ? first.checkpoint.header : first.values && Object.keys(first.values);
    if (!columns) return [{ code: 'audience-unreadable', message: `the first row of ${name} cannot be read: ${first.problem}` }];
  } catch (error) {
    if (error instanceof AudienceMalformed)
      return [{ code: 'audience-unreadable', message: `the audience file ${name} cannot be read: ${error.message}` }];
    if (error instanceof AudienceNotFound)
      return [{ code: 'audience-missing', message: `the audience file ${name} does not exist or cannot be read` }];
    throw error;
  }
  const missing = requiredColumns(campaign).filter((column) => !columns.includes(column));
  if (missing.length === 0) return [];
  const where = campaign.audience.format === 'csv' ? 'header' : 'first line';
  return [
    {
      code: 'audience-columns-missing',
      message: `the audience file ${name} lacks the column(s) ${missing.join(', ')} the campaign maps; its ${where} has ${columns.join(', ') || '(nothing)'}`,
    },
  ];
}

async function firstRecord(audience: AudienceSource, campaign: Campaign, version: AudienceVersion) {
  const { bucket, key, format } = campaign.audience;
  // Breaking out of the loop after one record ends the download.
  for await (const record of audience.rows({ bucket, key, format, etag: version.etag })) return record;
  return undefined;
}
