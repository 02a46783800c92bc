/**
 * What the sender puts in `biz_opaque_callback_data`, which Meta echoes on the message's status
 * webhooks (docs/meta-api.md#callback-data): the send's dispatch reference, then the job's own
 * `callbackData` verbatim. The reference names the job (campaign; the status names the recipient)
 * and the claim token the request went out under, so a status for a request whose answer was lost
 * finds the `unknown` job it belongs to (docs/design.md#reconciling-unknown-jobs).
 *
 *   wms1#<campaignId>#<claim token>#<the job's callbackData, possibly empty>
 *
 * Neither campaign ids nor claim tokens can contain `#`, so the job's data is everything after the
 * third `#`. Meta allows 512 characters: when the reference and the job's data do not fit together,
 * the job's data goes alone (its consumers were promised it) and the status path falls back to
 * matching by recipient and time.
 */
export const CALLBACK_DATA_MAX_LENGTH = 512;
const MARKER = 'wms1';
const SEPARATOR = '#';

/** The job a send was for, and the claim token it went out under. */
export interface DispatchRef {
  campaignId: string;
  token: string;
}

/** The field's value for a send, or undefined when there is nothing to send. */
export function callbackDataOf(ref: DispatchRef, jobData: string | undefined): string | undefined {
  const value = [MARKER, ref.campaignId, ref.token, jobData ?? ''].join(SEPARATOR);
  return value.length <= CALLBACK_DATA_MAX_LENGTH ? value : jobData;
}

/** The field as a status carries it: our reference if it holds one, and the job's own data. */
export function parseCallbackData(value: string | undefined): { ref?: DispatchRef; jobData?: string } {
  if (value === undefined) return {};
  const parts = value.split(SEPARATOR);
  if (parts[0] !== MARKER || parts.length < 4 || !parts[1] || !parts[2]) return { jobData: value };
  const jobData = parts.slice(3).join(SEPARATOR);
  return { ref: { campaignId: parts[1], token: parts[2] }, ...(jobData ? { jobData } : {}) };
}
