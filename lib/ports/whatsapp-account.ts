/**
 * Meta's Graph API for the business's templates and phone numbers, as the campaign launch's
 * preflight uses it (adapter: `lib/adapters/meta/graph-api-client.ts`).
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-account/template-api
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/phone-number-api
 */

/** A template's parameter format: positional ({{1}}) or named ({{first_name}}). */
export type ParameterFormat = 'POSITIONAL' | 'NAMED';

/** One language of a template, as the Graph API describes it. */
export interface TemplateInfo {
  id: string;
  name: string;
  language: string;
  /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED, … as Meta sends it. */
  status: string;
  /** MARKETING, UTILITY, AUTHENTICATION. */
  category: string;
  /** GREEN, YELLOW, RED, UNKNOWN. */
  qualityScore?: string;
  parameterFormat: ParameterFormat;
  /** Body parameters: their count (positional) or their names (named). */
  bodyParameters: { count: number; names: string[] };
  /** Whether the header takes a text parameter. */
  headerTextParameter: boolean;
  /** Buttons by index with their kind (`url`, `quick_reply`, `copy_code`…) and whether they take a parameter. */
  buttons: Array<{ index: number; type: string; takesParameter: boolean }>;
  /** `message_send_ttl_seconds`; undefined when Meta returns none (the default TTL applies). */
  ttlSeconds?: number;
}

/** A business phone number's state, as the Graph API describes it. */
export interface PhoneNumberInfo {
  id: string;
  /** CONNECTED, FLAGGED, RESTRICTED, … as Meta sends it. */
  status: string;
  qualityRating?: string;
  /** STANDARD (80/s) or HIGH (up to 1,000/s), as Meta sends it. */
  throughputLevel?: string;
}

/** A Graph API refusal, with Meta's code and message. */
export interface GraphFailure {
  code?: number;
  message: string;
}

export interface WhatsAppAccount {
  /** The template of that name and language in the business account; undefined when there is none. */
  findTemplate(businessAccountId: string, name: string, language: string): Promise<TemplateInfo | undefined>;
  phoneNumber(phoneNumberId: string): Promise<PhoneNumberInfo | undefined>;
  /** Sets the template's `message_send_ttl_seconds`; Meta limits how often a template may be edited. */
  setTemplateTtl(templateId: string, ttlSeconds: number): Promise<{ ok: true } | { ok: false; failure: GraphFailure }>;
}
