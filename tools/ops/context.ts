import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createClients } from '../campaign/context.ts';
import { invalidInput } from '../campaign/failure.ts';

/** What an ops command works with: the clients on the stage's endpoints, its configuration, and the console. */
export interface OpsContext {
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  /** A configuration value the command needs, by the name the deployed functions read; a usage error when unset. */
  setting: (name: string) => string;
  now: () => number;
  out: (line: string) => void;
  close: () => void;
}

/** The clients, on the local stand-ins' endpoints when AWS_ENDPOINT_URL_* name them (as the campaign CLI's). */
export function createOpsContext(env: NodeJS.ProcessEnv, out: (line: string) => void): OpsContext {
  const { doc, sqs, close } = createClients(env);
  return {
    doc,
    sqs,
    setting: (name) => {
      const value = env[name];
      if (!value) throw invalidInput(`set ${name} (as the deployed functions name it)`);
      return value;
    },
    now: Date.now,
    out,
    close,
  };
}
