/**
 * Runs AWS Lambda functions on localhost against real stand-ins instead of mocks: DynamoDB Local,
 * fauxqs (SQS and S3) and an SSM Parameter Store stand-in, all bound to 127.0.0.1; queues and tables
 * created from the CloudFormation files serverless.yml deploys; SQS and DynamoDB Streams event
 * sources that behave like Lambda's event source mappings; a function URL server; and SDK request
 * counting.
 * See the package's README for a walk-through.
 *
 * @packageDocumentation
 */

export { CACHE_DIR_ENV, defaultCacheDir } from './cache-dir.ts';
export { clientsFor, type LocalClients } from './clients.ts';
export { type DynamoDbLocalOptions, ensureDynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.ts';
export { streamResumeIndex, toDynamoDbStreamRecord } from './dynamodb-stream-event.ts';
export { type FunctionUrlHandler, type LocalFunctionUrl, startFunctionUrl } from './function-url.ts';
export { createLambdaContext, type LambdaContextOptions, newLogStreamName } from './lambda-context.ts';
export { LOCAL_CREDENTIALS, LOCAL_REGION, LOOPBACK_HOST, type LocalEndpoints, type LocalServer, type LocalService } from './local-aws.ts';
// The services: start them all (or one), hand their endpoints to child processes, build clients.
export {
  connectLocalStack,
  LOCAL_ENDPOINT_ENV,
  type LocalStack,
  type LocalStackConnection,
  type LocalStackOptions,
  localStackEnv,
  startLocalStack,
} from './local-stack.ts';
// Invoking functions the way Lambda does.
export {
  type EventSource,
  type EventSourceOptions,
  type EventSourceStats,
  FunctionTimeoutError,
  type IdleOptions,
  InvalidBatchResponseError,
  LAMBDA_PAYLOAD_LIMIT_BYTES,
  type SqsLambdaHandler,
  startEventSource,
} from './poller.ts';
// Measuring.
export { RequestCounter } from './request-counter.ts';
// Resources and function settings, from the files that deploy them.
export {
  type CreateResourcesOptions,
  createResources,
  type LocalQueue,
  type LocalResource,
  type LocalResources,
  type LocalTable,
  queueOf,
  tableOf,
} from './resources.ts';
export {
  type FunctionSettingsOptions,
  type LocalFunctionSettings,
  type LocalStreamSettings,
  readServerlessFile,
  resolveFunctionSettings,
  type ServerlessFile,
  type ServerlessFunction,
  type ServerlessSqsEvent,
  type ServerlessStreamEvent,
} from './serverless.ts';
export { type BatchOutcome, interpretBatchResponse, toSqsRecord } from './sqs-event.ts';
export { type SqsLocalOptions, startSqsLocal } from './sqs-local.ts';
export { type SsmLocal, type SsmLocalOptions, startSsmLocal } from './ssm-local.ts';
export { compileFilterPatterns, type StreamFilterPattern } from './stream-filter.ts';
export {
  type DynamoDbStreamHandler,
  type StreamEventSource,
  type StreamEventSourceOptions,
  type StreamEventSourceStats,
  type StreamFailureRecord,
  startStreamEventSource,
} from './stream-source.ts';
