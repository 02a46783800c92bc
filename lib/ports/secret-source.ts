/**
 * A secret (the Meta access token, the app secret, the webhook verify token): read when needed,
 * cached by the adapter (`lib/adapters/ssm/secret-source.ts`), never logged.
 */
export type SecretSource = () => Promise<string>;
