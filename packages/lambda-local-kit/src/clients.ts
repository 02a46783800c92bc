import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalEndpoints } from './local-aws.ts';

/** SDK clients wired to the local services. */
export interface LocalClients {
  sqs: SQSClient;
  /** Path-style S3 client for fauxqs' S3 (its endpoint has no bucket subdomains). */
  s3: S3Client;
  dynamodb: DynamoDBClient;
  /** Document client over `dynamodb`: plain JavaScript values in and out. */
  documents: DynamoDBDocumentClient;
  ssm: SSMClient;
  /** Closes the clients' keep-alive sockets, so a process or test worker can exit. */
  destroy(): void;
}

/**
 * Builds SDK clients for the local services with explicit endpoints, the local region and the
 * dummy credentials. The explicit SQS endpoint matters: fauxqs queue URLs name an unresolvable host.
 * S3 is forced path-style (`http://127.0.0.1:PORT/bucket/key`): the SDK would pick it for an IP endpoint
 * anyway, but not for a host name such as `localhost`, and `bucket.localhost` need not resolve.
 *
 * @example
 * const { sqs, documents, destroy } = clientsFor(stack.endpoints);
 */
export function clientsFor(endpoints: LocalEndpoints): LocalClients {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const sqs = new SQSClient({ ...common, endpoint: endpoints.sqs });
  const s3 = new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true });
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const ssm = new SSMClient({ ...common, endpoint: endpoints.ssm });
  return {
    sqs,
    s3,
    dynamodb,
    documents,
    ssm,
    destroy() {
      sqs.destroy();
      s3.destroy();
      dynamodb.destroy();
      ssm.destroy();
    },
  };
}
