import type { InboundMessage } from './webhook-events.ts';

export interface OptOutPolicy {
  /** Quick-reply payloads that mean "stop marketing" (e.g. STOP_PROMOTIONS). */
  payloads: readonly string[];
  /** Typed words that mean "stop": Meta does not treat them as opt-outs, the business must. */
  stopKeywords: readonly string[];
  /** Typed words that mean "resume". */
  resumeKeywords: readonly string[];
}

export type PreferenceChange = { optedOut: boolean; source: 'quick_reply' | 'keyword' };

/** What an inbound message says about the sender's marketing preference, if anything. */
export function preferenceFromMessage(message: InboundMessage, policy: OptOutPolicy): PreferenceChange | undefined {
  if (message.type === 'button' && message.button?.payload && policy.payloads.includes(message.button.payload)) {
    return { optedOut: true, source: 'quick_reply' };
  }
  if (message.type === 'text' && message.text) {
    const word = message.text.body.trim().toUpperCase();
    if (policy.stopKeywords.some((k) => k.toUpperCase() === word)) return { optedOut: true, source: 'keyword' };
    if (policy.resumeKeywords.some((k) => k.toUpperCase() === word)) return { optedOut: false, source: 'keyword' };
  }
  return undefined;
}

/** The account of an opt-out whose account is not known (or recorded before 0.3): it suppresses every account. */
export const EVERY_ACCOUNT = '*';

/** One account's recorded choice: ISO time of the user's choice. */
export interface AccountPreference {
  optedOut: boolean;
  source: string;
  at: string;
}

/** A recipient's recorded preferences: per account, and the account-less one written before 0.3. */
export interface RecipientPreferences {
  optedOut?: boolean;
  optOutSource?: string;
  preferenceAt?: string;
  preferences?: Readonly<Record<string, AccountPreference>>;
}

/**
 * The opt-out in force for one account, as Meta keeps a marketing opt-out per business: the
 * newest of the account's own choice and an every-account one (account unknown, or recorded
 * before opt-outs had accounts). A stop to one business never suppresses another; an
 * every-account stop holds for each account until that account's resume. Equal times: the stop wins.
 */
export function optOutFor(user: RecipientPreferences | undefined, account: string): { source: string } | undefined {
  if (!user) return undefined;
  const legacy: AccountPreference | undefined =
    user.optedOut === undefined
      ? undefined
      : { optedOut: user.optedOut, source: user.optOutSource ?? 'unknown source', at: user.preferenceAt ?? '' };
  const candidates = [legacy, user.preferences?.[EVERY_ACCOUNT], user.preferences?.[account]].filter(
    (candidate): candidate is AccountPreference => candidate !== undefined,
  );
  const newest = candidates.reduce<AccountPreference | undefined>(
    (best, candidate) => (!best || candidate.at > best.at || (candidate.at === best.at && candidate.optedOut) ? candidate : best),
    undefined,
  );
  return newest?.optedOut ? { source: newest.source } : undefined;
}

/** WhatsApp ids are digits; job records and user records key recipients in E.164. */
export function waIdToE164(waId: string): string {
  return `+${waId.replace(/\D/g, '')}`;
}
