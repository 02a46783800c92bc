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

/** WhatsApp ids are digits; job records and user records key recipients in E.164. */
export function waIdToE164(waId: string): string {
  return `+${waId.replace(/\D/g, '')}`;
}
