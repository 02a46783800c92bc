import type { SSMClient } from '@aws-sdk/client-ssm';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';

export interface AccessTokenSourceOptions {
  /** SSM SecureString parameter holding the system-user access token. */
  parameterName: string;
  /** Cache lifetime: a rotated token is picked up within this many seconds. */
  cacheSeconds: number;
  ssm?: SSMClient;
}

/**
 * The Meta access token, read from SSM Parameter Store (decrypted) through Powertools'
 * cached provider. Never logged, never an environment value.
 */
export function createAccessTokenSource(options: AccessTokenSourceOptions): () => Promise<string> {
  const provider = new SSMProvider(options.ssm ? { awsSdkV3Client: options.ssm } : {});
  return async () => {
    const token = await provider.get(options.parameterName, { decrypt: true, maxAge: options.cacheSeconds });
    if (typeof token !== 'string' || token.length === 0) {
      throw new Error(`SSM parameter ${options.parameterName} is empty`);
    }
    return token;
  };
}
