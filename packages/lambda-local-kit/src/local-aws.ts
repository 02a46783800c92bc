/**
 * The one region every local client and service uses. DynamoDB Local keeps a separate database
 * per access key + region, so mixing regions or keys would make tables seem to vanish.
 */
export const LOCAL_REGION = 'us-east-1';

/** The one set of dummy credentials every local client uses (see LOCAL_REGION for why one). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The only interface the local services listen on: they must never be reachable from the network. */
export const LOOPBACK_HOST = '127.0.0.1';

/** Endpoints of the local services, as `http://127.0.0.1:PORT` URLs. */
export interface LocalEndpoints {
  sqs: string;
  /** fauxqs serves S3 too, on the SQS endpoint (path-style requests only). */
  s3: string;
  dynamodb: string;
  ssm: string;
}

/** The services the kit starts a server for (S3 shares fauxqs with SQS). */
export type LocalServer = Exclude<keyof LocalEndpoints, 's3'>;

/** A running local service. `stop()` is idempotent and leaves no process or open handle behind. */
export interface LocalService {
  endpoint: string;
  stop(): Promise<void>;
}
