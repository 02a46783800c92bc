/**
 * Meta's per-user marketing limit (131049), modelled as a fixed cap of delivered marketing
 * messages per recipient in a sliding window, plus Meta's warning that resending early after a
 * 131049 gets more 131049s. Meta's real limit is adaptive and unpublished; see "Per-user marketing
 * template message limits" in https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/template-messages
 *
 * The scenario's `perUserMarketingCap` is validated into a {@link PerUserMarketingCap}; this module
 * owns the shape (and the exemption defaults) so that the scenario depends on it, not the reverse.
 */

/** The cap's settings, defaults filled in (the scenario's `perUserMarketingCap`). */
export interface PerUserMarketingCap {
  /** Delivered marketing-template messages a recipient may get per window; the next one fails with 131049. */
  maxPerWindow: number;
  /** Length of the sliding window, seconds (Meta: 24 hours). */
  windowSeconds: number;
  /** After a 131049, marketing sends to that recipient within this many seconds fail with 131049 too. */
  earlyResendBlocksSeconds: number;
  /** Calling codes whose recipients (and business numbers) the cap skips. */
  exemptCallingCodes: string[];
}

/**
 * Country calling codes whose recipients are exempt (Meta names the EEA, the UK, Japan and South
 * Korea), matched as a prefix of the recipient's digits. EEA = the 27 EU states plus Iceland,
 * Liechtenstein and Norway. Codes in the +30…+49 range that belong to non-EEA countries
 * (Switzerland 41, Ukraine 380, Serbia 381, Albania 355, …) are deliberately absent. EU
 * territories with their own codes (Réunion 262, Guadeloupe 590, …) are not listed.
 */
export const PER_USER_LIMIT_EXEMPT_CALLING_CODES: readonly string[] = [
  // EU member states
  '30', // Greece
  '31', // Netherlands
  '32', // Belgium
  '33', // France
  '34', // Spain
  '36', // Hungary
  '39', // Italy
  '40', // Romania
  '43', // Austria
  '45', // Denmark
  '46', // Sweden
  '48', // Poland
  '49', // Germany
  '351', // Portugal
  '352', // Luxembourg
  '353', // Ireland
  '356', // Malta
  '357', // Cyprus
  '358', // Finland
  '359', // Bulgaria
  '370', // Lithuania
  '371', // Latvia
  '372', // Estonia
  '385', // Croatia
  '386', // Slovenia
  '420', // Czechia
  '421', // Slovakia
  // EEA outside the EU
  '354', // Iceland
  '423', // Liechtenstein
  '47', // Norway
  // Others named by Meta
  '44', // United Kingdom
  '81', // Japan
  '82', // South Korea
];

/**
 * True when a number (digits, `+` tolerated) starts with one of `callingCodes` (default: the
 * countries where Meta does not apply the limit).
 */
export function isExemptFromPerUserLimit(number: string, callingCodes: readonly string[] = PER_USER_LIMIT_EXEMPT_CALLING_CODES): boolean {
  const digits = number.replace(/^\+/, '');
  return callingCodes.some((code) => digits.startsWith(code));
}

/** Why a marketing send to a recipient fails with 131049, if it does. */
export type PerUserLimitVerdict = 'allowed' | 'per_user_cap' | 'early_resend';

/** Delivery and 131049 history per recipient key (digits), against a cap given per check. */
export class PerUserMarketingLimit {
  private readonly deliveredAt = new Map<string, number[]>();
  private readonly last131049At = new Map<string, number>();

  /**
   * Whether a marketing send at `now` (epoch ms) may be delivered. Checks the early-resend block
   * first, since a blocked user gets 131049 whatever the count says.
   */
  check(recipientKey: string, now: number, cap: PerUserMarketingCap): PerUserLimitVerdict {
    const blockedSince = this.last131049At.get(recipientKey);
    if (blockedSince !== undefined && now - blockedSince < cap.earlyResendBlocksSeconds * 1000) return 'early_resend';
    const windowStart = now - cap.windowSeconds * 1000;
    const recent = (this.deliveredAt.get(recipientKey) ?? []).filter((at) => at > windowStart);
    if (recent.length > 0) this.deliveredAt.set(recipientKey, recent);
    else this.deliveredAt.delete(recipientKey);
    return recent.length >= cap.maxPerWindow ? 'per_user_cap' : 'allowed';
  }

  /** Counts a delivered marketing message toward the recipient's window. */
  recordDelivered(recipientKey: string, now: number): void {
    const times = this.deliveredAt.get(recipientKey);
    if (times) times.push(now);
    else this.deliveredAt.set(recipientKey, [now]);
  }

  /** Starts (or extends) the recipient's early-resend block: any 131049 counts, rule-injected ones too. */
  record131049(recipientKey: string, now: number): void {
    this.last131049At.set(recipientKey, now);
  }

  clear(): void {
    this.deliveredAt.clear();
    this.last131049At.clear();
  }
}
