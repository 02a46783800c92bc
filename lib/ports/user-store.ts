/** What the sender knows about one recipient, across campaigns. Personal data: it expires. */
export interface UserRecord {
  recipient: string;
  /** Last 131049 (per-user marketing limit) and how many so far. */
  lastLimitHitAt?: string;
  limitHits?: number;
  /** Marketing opt-out, from 131050, `user_preferences`, a quick reply or a keyword. */
  optedOut?: boolean;
  optOutSource?: string;
  /** Time of the preference event that set `optedOut`: an older event never overrides a newer one. */
  preferenceAt?: string;
  updatedAt: string;
  expiresAt: number;
}

export type PreferenceSource = '131050' | 'user_preferences' | 'quick_reply' | 'keyword';

/** A marketing opt-out (or a resume), where it came from and when the user made it. */
export interface Preference {
  optedOut: boolean;
  source: PreferenceSource;
  /** Epoch ms of the user's choice: an older one never overrides a newer one. */
  at: number;
}

export interface UserStore {
  /** One BatchGetItem per 100 recipients: a send batch costs one read request. */
  getMany(recipients: readonly string[]): Promise<Map<string, UserRecord>>;
  recordLimitHit(recipient: string, at: number, now: number): Promise<void>;
  /** Records an opt-out or a resume unless a newer preference is already recorded. */
  setPreference(recipient: string, preference: Preference, now: number): Promise<boolean>;
}
