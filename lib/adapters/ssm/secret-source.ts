import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SecretSource } from '../../ports/secret-source.ts';

export interface SecretSourceOptions {
  /** SSM SecureString parameter holding the secret. */
  parameterName: string;
  /** Cache lifetime: a rotated token is picked up within this many seconds. */
  cacheSeconds: number;
  ssm?: SSMClient;
}

/**
 * A secret (the Meta access token, the app secret, the webhook verify token), read from SSM
 * Parameter Store (decrypted) through Powertools' cached provider. Never logged, never an
 * environment value.
 */
export function createSecretSource(options: SecretSourceOptions): SecretSource {
  const provider = new SSMProvider(options.ssm ? { awsSdkV3Client: options.ssm } : {});
  const read = async () => {
    const token = await provider.get(options.parameterName, { decrypt: true, maxAge: options.cacheSeconds });
    if (typeof token !== 'string' || token.length === 0) {
      throw new Error(`SSM parameter ${options.parameterName} is empty`);
    }
    return token;
  };
  return Object.assign(read, { forget: () => provider.clearCache() });
}
