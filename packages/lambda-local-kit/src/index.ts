/**
 * Runs AWS Lambda functions on localhost against real stand-ins instead of mocks: DynamoDB Local,
 * fauxqs (SQS) and an SSM Parameter Store stand-in, all bound to 127.0.0.1; queues and tables
 * created from the CloudFormation files serverless.yml deploys; an SQS event-source poller that
 * behaves like Lambda's event source mapping; a function URL server; and SDK request counting.
 * See the package's README for a walk-through.
 *
 * @packageDocumentation
 */

// The services: start them all (or one), hand their endpoints to child processes, build clients.
export {
  connectLocalStack,
  LOCAL_ENDPOINT_ENV,
  localStackEnv,
  startLocalStack,
  type LocalStack,
  type LocalStackConnection,
  type LocalStackOptions,
} from './local-stack.ts';
export { LOCAL_CREDENTIALS, LOCAL_REGION, LOOPBACK_HOST, type LocalEndpoints, type LocalService } from './local-aws.ts';
export { clientsFor, type LocalClients } from './clients.ts';
export { ensureDynamoDbLocal, startDynamoDbLocal, type DynamoDbLocalOptions } from './dynamodb-local.ts';
export { startSqsLocal, type SqsLocalOptions } from './sqs-local.ts';
export { startSsmLocal, type SsmLocal, type SsmLocalOptions } from './ssm-local.ts';
export { CACHE_DIR_ENV, defaultCacheDir } from './cache-dir.ts';

// Resources and function settings, from the files that deploy them.
export {
  createResources,
  queueOf,
  tableOf,
  type CreateResourcesOptions,
  type LocalQueue,
  type LocalResource,
  type LocalResources,
  type LocalTable,
} from './resources.ts';
export {
  readServerlessFile,
  resolveFunctionSettings,
  type FunctionSettingsOptions,
  type LocalFunctionSettings,
  type ServerlessFile,
  type ServerlessFunction,
  type ServerlessSqsEvent,
} from './serverless.ts';

// Invoking functions the way Lambda does.
export {
  FunctionTimeoutError,
  InvalidBatchResponseError,
  LAMBDA_PAYLOAD_LIMIT_BYTES,
  startEventSource,
  type EventSource,
  type EventSourceOptions,
  type EventSourceStats,
  type IdleOptions,
  type SqsLambdaHandler,
} from './poller.ts';
export { startFunctionUrl, type FunctionUrlHandler, type LocalFunctionUrl } from './function-url.ts';
export { createLambdaContext, type LambdaContextOptions } from './lambda-context.ts';
export { interpretBatchResponse, toSqsRecord, type BatchOutcome } from './sqs-event.ts';

// Measuring.
export { RequestCounter } from './request-counter.ts';
