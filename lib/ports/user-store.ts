import { type AccountPreference, EVERY_ACCOUNT } from '../domain/opt-out.ts';

/**
 * What the sender knows about one recipient, across campaigns: its 131049 hits (personal data
 * that expires) and its marketing opt-outs, one per WhatsApp Business Account (kept until the
 * user resumes or is erased).
 */
export interface UserRecord {
  recipient: string;
  /** Last 131049 (per-user marketing limit) and how many so far. */
  lastLimitHitAt?: string;
  limitHits?: number;
  /**
   * An opt-out recorded before opt-outs belonged to an account (before 0.3): it applies to
   * every account, as does one whose account was not known (`EVERY_ACCOUNT`).
   */
  optedOut?: boolean;
  optOutSource?: string;
  /** Time of the preference event that set `optedOut`: an older event never overrides a newer one. */
  preferenceAt?: string;
  /** The recipient's preference per account id (`EVERY_ACCOUNT` for one whose account was unknown). */
  preferences?: Readonly<Record<string, AccountPreference>>;
  updatedAt?: string;
  /** TTL (epoch seconds) of the limit-hit item; opt-outs have none. */
  expiresAt?: number;
}

export { EVERY_ACCOUNT };

export type PreferenceSource = '131050' | 'user_preferences' | 'quick_reply' | 'keyword';

/** A marketing opt-out (or a resume), where it came from and when the user made it. */
export interface Preference {
  optedOut: boolean;
  source: PreferenceSource;
  /** Epoch ms of the user's choice: an older one never overrides a newer one. */
  at: number;
  /** The WhatsApp Business Account it was made to, or `EVERY_ACCOUNT`. */
  account: string;
}

export interface UserStore {
  /** One BatchGetItem per 50 recipients (their limit-hit and preference items). */
  getMany(recipients: readonly string[]): Promise<Map<string, UserRecord>>;
  recordLimitHit(recipient: string, at: number, now: number): Promise<void>;
  /** Records an account's opt-out or resume unless a newer one for that account is already recorded. */
  setPreference(recipient: string, preference: Preference, now: number): Promise<boolean>;
}
