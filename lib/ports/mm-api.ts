import type { SendOutcome } from '../domain/send-plan.ts';

/** Meta's Marketing Messages API, as the send path uses it (adapter: `lib/adapters/meta/mm-api-client.ts`). */
export interface MmApiClient {
  /** Loads the access token (cached). Throws when it cannot be had, before any job is claimed. */
  warmUp(): Promise<void>;
  sendMarketingMessage(phoneNumberId: string, body: Record<string, unknown>): Promise<SendOutcome>;
}
