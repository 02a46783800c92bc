import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  ssm: SSMClient;
}

/**
 * SDK clients for a function. On AWS no endpoint variable is set and the SDK's defaults apply.
 * Locally the `AWS_ENDPOINT_URL_*` variables point at the stand-ins; the SQS endpoint is passed
 * explicitly because the SDK otherwise sends to the host inside the queue URL.
 */
export function createAwsClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  const endpoint = (name: string) => (env[name] ? { endpoint: env[name] } : {});
  const sqs = new SQSClient({ ...endpoint('AWS_ENDPOINT_URL_SQS') });
  const dynamodb = new DynamoDBClient({ ...endpoint('AWS_ENDPOINT_URL_DYNAMODB') });
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const ssm = new SSMClient({ ...endpoint('AWS_ENDPOINT_URL_SSM') });
  return { sqs, dynamodb, doc, ssm };
}
