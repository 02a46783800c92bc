import { type AccountPreference, EVERY_ACCOUNT, type RecipientPreferences } from './opt-out.ts';

/**
 * The other form WhatsApp may know a number by, where its id differs from the dialled number
 * (Brazil: the mobile 9th digit; Mexico: the `1` after +52). The sender keeps alias items, and
 * sometimes a user's preferences, under that form: an erasure looks there too.
 */
export function whatsAppIdVariants(e164: string): string[] {
  const brazilNine = /^\+55(\d{2})9(\d{8})$/.exec(e164);
  if (brazilNine) return [`+55${brazilNine[1]}${brazilNine[2]}`];
  const brazilEight = /^\+55(\d{2})(\d{8})$/.exec(e164);
  if (brazilEight) return [`+55${brazilEight[1]}9${brazilEight[2]}`];
  const mexicoOne = /^\+521(\d{10})$/.exec(e164);
  if (mexicoOne) return [`+52${mexicoOne[1]}`];
  const mexico = /^\+52(\d{10})$/.exec(e164);
  if (mexico) return [`+521${mexico[1]}`];
  return [];
}

/**
 * The preferences an erasure keeps so that a user who opted out is not messaged again: every
 * account's recorded choice (resumes too, so that a stop for every account still yields to an
 * account's later resume), the pre-0.3 opt-out folded in as the every-account one. Nothing when
 * no choice stops anything: a user who never opted out (or resumed everywhere) leaves no trace.
 */
export function suppressionToKeep(users: readonly RecipientPreferences[]): Record<string, AccountPreference> | undefined {
  const kept: Record<string, AccountPreference> = {};
  const keepNewer = (account: string, preference: AccountPreference) => {
    const current = kept[account];
    if (!current || preference.at > current.at || (preference.at === current.at && preference.optedOut)) kept[account] = preference;
  };
  for (const user of users) {
    if (user.optedOut !== undefined) {
      keepNewer(EVERY_ACCOUNT, { optedOut: user.optedOut, source: user.optOutSource ?? 'unknown source', at: user.preferenceAt ?? '' });
    }
    for (const [account, preference] of Object.entries(user.preferences ?? {})) keepNewer(account, preference);
  }
  return Object.values(kept).some((preference) => preference.optedOut) ? kept : undefined;
}

/** What an erasure removed, per table, and whether a suppression entry was kept. No phone number. */
export interface ErasureReport {
  jobs: { jobs: number; aliases: number };
  users: { items: number; suppressionKept: boolean };
  campaigns: { openDeadlineEntries: number };
}
