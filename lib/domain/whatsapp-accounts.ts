/**
 * The WhatsApp Business Accounts a deployment serves, and their phone numbers. A webhook names
 * both (`entry[].id` is the account, `metadata.phone_number_id` the number); a job names only
 * its number, so the account of a job (whose opt-outs apply to it, whose templates it uses) is
 * found through this map. One number belongs to one account, as on Meta's side.
 */
export interface ServedAccounts {
  /** Account id → the ids of its phone numbers served here. */
  readonly numbersByAccount: Readonly<Record<string, readonly string[]>>;
}

/** Phone number id → its account, per configuration: built once, read for every job and event. */
const accountsByNumber = new WeakMap<ServedAccounts, ReadonlyMap<string, string>>();

/** Account id → phone number ids, as configured; refuses a number listed under two accounts. */
export function servedAccounts(numbersByAccount: Record<string, readonly string[]>): ServedAccounts {
  const accounts = { numbersByAccount };
  numberIndex(accounts);
  return accounts;
}

/** The account a phone number belongs to; undefined for a number this deployment does not serve. */
export function accountOfNumber(accounts: ServedAccounts, phoneNumberId: string): string | undefined {
  return numberIndex(accounts).get(phoneNumberId);
}

function numberIndex(accounts: ServedAccounts): ReadonlyMap<string, string> {
  const known = accountsByNumber.get(accounts);
  if (known) return known;
  const owner = new Map<string, string>();
  for (const [account, numbers] of Object.entries(accounts.numbersByAccount)) {
    for (const number of numbers) {
      const other = owner.get(number);
      if (other !== undefined && other !== account) {
        throw new Error(`phone number ${number} is listed under two accounts (${other}, ${account})`);
      }
      owner.set(number, account);
    }
  }
  accountsByNumber.set(accounts, owner);
  return owner;
}

export function isServedAccount(accounts: ServedAccounts, accountId: string): boolean {
  return Object.hasOwn(accounts.numbersByAccount, accountId);
}

/** Whether the number is served, and (when the account is known) served under that account. */
export function isServedNumber(accounts: ServedAccounts, phoneNumberId: string, accountId?: string): boolean {
  const account = accountOfNumber(accounts, phoneNumberId);
  return account !== undefined && (accountId === undefined || account === accountId);
}
