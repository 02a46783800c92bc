/**
 * Public on-demand AWS prices the cost model uses. Region us-east-1 (N. Virginia); eu-west-1
 * (the deployment's default region) costs the same for SQS and Lambda, and about 13 % more for
 * DynamoDB on-demand (half of the former $1.4135 / $0.283 per million WRU / RRU, i.e. about
 * $0.71 / $0.14) and CloudWatch Logs (about $0.57 per GB).
 * No free tier is deducted (it is a one-off 1 M SQS requests, 1 M Lambda requests and
 * 400,000 GB-s per month, small next to a campaign of millions).
 *
 * Transcribed on 2026-11-26 from these pages (check them before relying on a figure):
 * - "Amazon SQS pricing" (aws.amazon.com/sqs/pricing): Standard queue, $0.40 per million requests
 *   after the first million; every 64 KB chunk of a payload is billed as one request.
 * - "AWS Lambda pricing" (aws.amazon.com/lambda/pricing): Arm, $0.0000133334 per GB-second (first
 *   7.5 billion GB-s per month) and $0.20 per million requests; function URLs have no extra charge.
 * - "Amazon DynamoDB pricing for on-demand capacity" (aws.amazon.com/dynamodb/pricing/on-demand):
 *   Standard table class, $0.625 per million write request units and $0.125 per million read
 *   request units (the November 2024 price cut). A write unit is one write of an item up to 1 KB
 *   (a conditional write that fails is still charged); a GSI write costs write units too; a read
 *   unit is one strongly consistent read up to 4 KB or two eventually consistent ones.
 * - "Amazon API Gateway pricing" (aws.amazon.com/api-gateway/pricing): HTTP APIs, $1.00 per million
 *   requests (first 300 million per month, 512 KB increments).
 * - "Amazon CloudWatch pricing" (aws.amazon.com/cloudwatch/pricing): Logs, Standard class, $0.50 per
 *   GB ingested (Lambda logs are "vended" logs: $0.50 per GB for the first 10 TB per month).
 * - "Amazon S3 pricing" (aws.amazon.com/s3/pricing), Requests & data retrievals: S3 Standard, $0.005 per
 *   1,000 PUT, COPY, POST and LIST requests (a multipart upload's create, parts and completion each
 *   count), $0.0004 per 1,000 GET, SELECT and all other requests; DELETE is free, and data
 *   transferred from S3 to Lambda in the same region is free.
 * - "Amazon EventBridge pricing" (aws.amazon.com/eventbridge/pricing): Scheduler, $1.00 per million
 *   invocations after 14 million free per month; the sweep runs 2,880 times a month.
 */
export interface Prices {
  region: string;
  /** When the figures were transcribed. */
  date: string;
  sources: readonly string[];
  currency: 'USD';
  sqsStandardPerMillionRequests: number;
  lambdaArmPerGbSecond: number;
  lambdaPerMillionRequests: number;
  dynamoDbPerMillionWriteUnits: number;
  dynamoDbPerMillionReadUnits: number;
  httpApiPerMillionRequests: number;
  functionUrlPerMillionRequests: number;
  cloudWatchLogsPerGbIngested: number;
  eventBridgeSchedulerPerMillionInvocations: number;
  /** S3 Standard: PUT, COPY, POST, LIST requests, per 1,000. */
  s3PutPerThousandRequests: number;
  /** S3 Standard: GET, SELECT and every other request, per 1,000. */
  s3GetPerThousandRequests: number;
  /** Lambda gives a function one full vCPU at this memory size (CPU share scales with memory below it). */
  lambdaMbPerVcpu: number;
}

export const PRICES: Prices = {
  region: 'us-east-1',
  date: '2026-11-26',
  sources: [
    'Amazon SQS pricing',
    'AWS Lambda pricing',
    'Amazon DynamoDB pricing for on-demand capacity',
    'Amazon API Gateway pricing',
    'Amazon CloudWatch pricing',
    'Amazon EventBridge pricing',
    'Amazon S3 pricing',
    'Lambda Developer Guide: Configure Lambda function memory',
  ],
  currency: 'USD',
  sqsStandardPerMillionRequests: 0.4,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
  httpApiPerMillionRequests: 1.0,
  functionUrlPerMillionRequests: 0,
  cloudWatchLogsPerGbIngested: 0.5,
  eventBridgeSchedulerPerMillionInvocations: 1.0,
  s3PutPerThousandRequests: 0.005,
  s3GetPerThousandRequests: 0.0004,
  lambdaMbPerVcpu: 1_769,
};
