import { SEND_JOB_SCHEMA_VERSION, type SendJob, sendJobSchema } from './job-contract.ts';
import { type E164, maskPhoneNumber, normalisePhoneNumber, type RecipientPolicy, recipientRestriction } from './phone.ts';

/** Why a job can never be sent as it is. Operators see this on the dead-lettered message. */
export type RejectionReason =
  | 'malformed_json'
  | 'unsupported_schema_version'
  | 'schema_violation'
  | 'invalid_recipient'
  | 'restricted_recipient'
  /** The job's `phoneNumberId` is not a number of an account the deployment serves (the send function's check). */
  | 'unserved_phone_number'
  /** Valid by the contract, yet a store refused the job's own content (its item too large, say): the send path's check. */
  | 'unstorable_job';

export interface Rejection {
  reason: RejectionReason;
  /** Human-readable detail, safe to log: field paths and rules, never the phone number. */
  detail: string;
  /** Present when the body parsed far enough to tell which campaign it belongs to. */
  campaignId?: string;
}

/** A job that passed validation, with its recipient normalised. */
export interface ValidJob extends SendJob {
  recipient: E164;
  recipientCountry: string | undefined;
}

/** The job as the contract defines it (what goes back on a queue), without derived fields. */
export function contractOf(job: ValidJob): SendJob {
  const { recipientCountry: _country, ...contract } = job;
  return contract;
}

export type JobValidation = { ok: true; job: ValidJob } | { ok: false; rejection: Rejection };

/** Parses and validates one raw queue message body. Pure: no I/O, no clock. */
export function validateJobBody(body: string, policy: RecipientPolicy): JobValidation {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    // JSON.parse's message quotes the body, which may hold a phone number: report where, not what.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    return reject(
      'malformed_json',
      `body is not JSON (${body.length === 0 ? 'empty' : position === undefined ? `${body.length} characters` : `syntax error at character ${position}`})`,
    );
  }
  return validateJob(raw, policy);
}

/** Validates an already-parsed job (the producer helper's entry point). */
export function validateJob(raw: unknown, policy: RecipientPolicy): JobValidation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return reject('malformed_json', 'a job must be a JSON object (one job per message)');
  }
  const campaignId = campaignIdOf(raw);
  const version = (raw as Record<string, unknown>).schemaVersion;
  if (version !== SEND_JOB_SCHEMA_VERSION) {
    return reject(
      'unsupported_schema_version',
      `schemaVersion must be ${SEND_JOB_SCHEMA_VERSION}, got ${JSON.stringify(version)}`,
      campaignId,
    );
  }
  const parsed = sendJobSchema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return reject('schema_violation', detail, campaignId);
  }
  const phone = normalisePhoneNumber(parsed.data.recipient);
  if (!phone.ok) return reject('invalid_recipient', `recipient: ${phone.reason}`, campaignId);
  const restriction = recipientRestriction(phone.e164, phone.country, policy);
  // The restriction names a country or a configured prefix, never the number: no masking, so the prefix reads as configured.
  if (restriction)
    return { ok: false, rejection: { reason: 'restricted_recipient', detail: restriction, campaignId: parsed.data.campaignId } };
  return { ok: true, job: { ...parsed.data, recipient: phone.e164, recipientCountry: phone.country } };
}

function campaignIdOf(raw: object): string | undefined {
  const value = (raw as Record<string, unknown>).campaignId;
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(value) ? value : undefined;
}

function reject(reason: RejectionReason, detail: string, campaignId?: string): JobValidation {
  return { ok: false, rejection: rejectionOf(reason, detail, campaignId) };
}

/** A rejection whose detail is safe to log: a run of digits long enough to be a phone number is masked. */
export function rejectionOf(reason: RejectionReason, detail: string, campaignId?: string): Rejection {
  const safe = detail.replace(/\+?\d{7,}/g, (digits) => maskPhoneNumber(digits));
  return campaignId ? { reason, detail: safe, campaignId } : { reason, detail: safe };
}
