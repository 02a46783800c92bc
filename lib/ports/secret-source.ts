/**
 * A secret (the Meta access token, the app secret, the webhook verify token): read when needed,
 * cached by the adapter (`lib/adapters/ssm/secret-source.ts`), never logged.
 */
export type SecretSource = (() => Promise<string>) & {
  /**
   * Drops the cached value, so the next read fetches it again: called when Meta refused it
   * (190), so that a token an operator has just replaced is used at once, not after the cache age.
   */
  forget?: () => void;
};
