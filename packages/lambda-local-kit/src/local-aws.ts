/**
 * The one region every local client and service uses. DynamoDB Local keeps a separate database
 * per access key + region, so mixing regions or keys would make tables seem to vanish.
 */
export const LOCAL_REGION = 'us-east-1';

/** The one set of dummy credentials every local client uses (see LOCAL_REGION for why one). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The only interface the local services listen on: they must never be reachable from the network. */
export const LOOPBACK_HOST = '127.0.0.1';

/** Endpoints of the three local services, as `http://127.0.0.1:PORT` URLs. */
export interface LocalEndpoints {
  sqs: string;
  dynamodb: string;
  ssm: string;
}

/** A running local service. `stop()` is idempotent and leaves no process or open handle behind. */
export interface LocalService {
  endpoint: string;
  stop(): Promise<void>;
}
