import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

/** The clients, on the local stand-ins' endpoints when AWS_ENDPOINT_URL_* name them. */
export function createOpsContext(env: NodeJS.ProcessEnv, out: (line: string) => void): OpsContext {
  const dynamoEndpoint = env.AWS_ENDPOINT_URL_DYNAMODB;
  // The SQS endpoint is passed explicitly: the SDK would otherwise send to the host inside a queue URL.
  const sqsEndpoint = env.AWS_ENDPOINT_URL_SQS;
  const dynamodb = new DynamoDBClient(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {});
  const sqs = new SQSClient(sqsEndpoint ? { endpoint: sqsEndpoint } : {});
  return {
    doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    sqs,
    setting: (name) => {
      const value = env[name];
      if (!value) throw invalidInput(`set ${name} (as the deployed functions name it)`);
      return value;
    },
    now: Date.now,
    out,
    close: () => {
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}
