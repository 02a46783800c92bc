import { PerUserMarketingLimit } from './per-user-limit.ts';
import type { MarketingPreference } from './webhook-payloads.ts';

/**
 * What "Meta" knows about recipients across sends: who stopped marketing messages from the
 * business, and each recipient's per-user-limit history. Survives a new scenario (these are
 * facts about users, not configuration); cleared by `reset()`.
 */
export class UserState {
  readonly perUserLimit = new PerUserMarketingLimit();
  private readonly stoppedMarketing = new Set<string>();

  /** Applies a Stop or Resume of the user (key: digits). */
  setMarketingPreference(recipientKey: string, value: MarketingPreference): void {
    if (value === 'stop') this.stoppedMarketing.add(recipientKey);
    else this.stoppedMarketing.delete(recipientKey);
  }

  /** True after a `stop` without a later `resume`: marketing sends then fail with 131050. */
  hasStoppedMarketing(recipientKey: string): boolean {
    return this.stoppedMarketing.has(recipientKey);
  }

  clear(): void {
    this.stoppedMarketing.clear();
    this.perUserLimit.clear();
  }
}
