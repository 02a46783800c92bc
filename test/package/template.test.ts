import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageOffline } from '../../tools/offline-package.ts';
import { runTool } from '../helpers/run-tool.ts';
import { EMITTED_METRICS } from './emitted-metrics.ts';

/**
 * Packages the service with `osls package` (offline, no credentials) and checks the
 * CloudFormation it writes: what serverless.yml promises is really deployed.
 */
type Resource = {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are free-form; the tests read them as the template has them.
  Properties: Record<string, any>;
  DependsOn?: unknown;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Condition?: string;
};
type Template = {
  Resources: Record<string, Resource>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
};
let template: Template;
let resources: Record<string, Resource>;
const root = new URL('../../', import.meta.url);

/** `osls package` offline (no credentials) into `dir` (default `.serverless/`, osls's own), with `--param` values. */
async function packageTemplate(options: { dir?: string; params?: Record<string, string> } = {}): Promise<Template> {
  await packageOffline({ cwd: root, stage: 'ci', ...options });
  const dir = options.dir ?? fileURLToPath(new URL('.serverless/', root));
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

beforeAll(async () => {
  template = await packageTemplate();
  resources = template.Resources;
}, 180_000);

type Statement = { Effect: string; Action: string[]; Resource: unknown[]; Condition?: unknown };

/** A role's policy statements as deployed: each `Fn::If` resolved against the template's conditions. */
function statementsOf(role: string, of: Template = template): Statement[] {
  const listed = of.Resources[role]!.Properties.Policies[0].PolicyDocument.Statement as unknown[];
  return listed.flatMap((statement) => {
    const conditional = (statement as { 'Fn::If'?: [string, Statement, unknown] })['Fn::If'];
    if (!conditional) return [statement as Statement];
    const [name, whenTrue] = conditional;
    return evaluateCondition(of.Conditions?.[name]) ? [whenTrue] : [];
  });
}

/** The `Fn::Not` and `Fn::Equals` of literal values the service's conditions use. */
function evaluateCondition(condition: unknown): boolean {
  const c = condition as { 'Fn::Not'?: [unknown]; 'Fn::Equals'?: [unknown, unknown] };
  if (c['Fn::Not']) return !evaluateCondition(c['Fn::Not'][0]);
  if (c['Fn::Equals']) return JSON.stringify(c['Fn::Equals'][0]) === JSON.stringify(c['Fn::Equals'][1]);
  throw new Error(`condition not understood here: ${JSON.stringify(condition)}`);
}

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('packaged CloudFormation', () => {
  it('has the send queue with a redrive policy to its DLQ, and the deferred queue with its own', () => {
    expect(resources.SendQueue?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['SendDeadLetterQueue', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(resources.SendDeadLetterQueue?.Type).toBe('AWS::SQS::Queue');
    expect(resources.DeferredQueue?.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({
      'Fn::GetAtt': ['DeferredDeadLetterQueue', 'Arn'],
    });
    expect(resources.DeferredQueue!.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThan(
      resources.SendQueue!.Properties.RedrivePolicy.maxReceiveCount,
    );
  });

  it('has the jobs table keyed by recipient and campaign with only the sparse index of unknown jobs, and the users and campaigns tables', () => {
    const jobs = resources.JobsTable!.Properties;
    expect(jobs.KeySchema).toEqual([
      { AttributeName: 'recipient', KeyType: 'HASH' },
      { AttributeName: 'campaignId', KeyType: 'RANGE' },
    ]);
    // No index on anything every job carries (a wamid index would cost a write per message): only
    // jobs left `unknown` carry `unknownDay`, so the one index holds those few, keys only, and
    // the re-send of unknown jobs (the sweep's, the operator command's) finds them without a scan.
    expect(jobs.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'unknown-jobs-by-day',
        KeySchema: [
          { AttributeName: 'unknownDay', KeyType: 'HASH' },
          { AttributeName: 'unknownSince', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(jobs.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(resources.UsersTable!.Properties.TimeToLiveSpecification.Enabled).toBe(true);
    expect(resources.CampaignsTable!.Type).toBe('AWS::DynamoDB::Table');
    // The sweep's open-deadlines records expire; campaign items carry no `expiresAt`.
    expect(resources.CampaignsTable!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('runs the send function on nodejs24.x from the send queue with partial batch responses and a concurrency cap', () => {
    expect(resources.SendLambdaFunction!.Properties.Runtime).toBe('nodejs24.x');
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
      ([, r]) => r.Properties.EventSourceArn['Fn::GetAtt'][0] === 'SendQueue',
    )![1];
    // 2.5 s of send times at the dev stage's 80/s (sendBatchSizeFor).
    expect(mapping.Properties).toMatchObject({
      BatchSize: 200,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 3 },
    });
    const queueVisibility = resources.SendQueue!.Properties.VisibilityTimeout;
    expect(queueVisibility).toBeGreaterThanOrEqual(
      6 * resources.SendLambdaFunction!.Properties.Timeout + mapping.Properties.MaximumBatchingWindowInSeconds,
    );
  });

  it('reads the access token from SSM and keeps no secret in the environment', () => {
    const env = resources.SendLambdaFunction!.Properties.Environment.Variables;
    expect(env.META_ACCESS_TOKEN_PARAMETER).toBe('/wa-marketing-sender/ci/meta-access-token');
    for (const [name, value] of Object.entries(env)) {
      expect(name).not.toMatch(/TOKEN$|SECRET/);
      expect(JSON.stringify(value)).not.toMatch(/EAA[A-Za-z0-9]{20,}/);
    }
  });

  it('gives each function its own role with named actions on named resources only', () => {
    const roles = ['Send', 'Release', 'Webhook', 'Status', 'Sweep', 'CountJobChanges'];
    for (const name of roles) {
      expect(resources[`${name}LambdaFunction`]!.Properties.Role).toEqual({ 'Fn::GetAtt': [`${name}FunctionRole`, 'Arn'] });
      for (const statement of statementsOf(`${name}FunctionRole`)) {
        for (const action of statement.Action) expect(action).not.toMatch(/\*/);
        for (const resource of statement.Resource) expect(JSON.stringify(resource)).not.toBe('"*"');
      }
    }
    const actions = (name: string) => statementsOf(`${name}FunctionRole`).flatMap((s) => s.Action);
    expect(actions('Webhook').sort()).toEqual(['dynamodb:UpdateItem', 'sqs:SendMessage', 'ssm:GetParameter']);
    // The webhook writes progress to the jobs table only: never the users' opt-outs or the campaigns.
    const webhookWrite = statementsOf('WebhookFunctionRole').find((s) => s.Action.includes('dynamodb:UpdateItem'))!;
    expect(webhookWrite.Resource).toEqual([{ 'Fn::GetAtt': ['JobsTable', 'Arn'] }]);
    expect(actions('Send')).not.toContain('dynamodb:DeleteItem');
    expect(actions('Send')).not.toContain('dynamodb:Scan');
    expect(actions('Sweep')).not.toContain('dynamodb:Scan');
    const ssm = statementsOf('SendFunctionRole').find((s) => s.Action.includes('ssm:GetParameter'))!;
    expect(JSON.stringify(ssm.Resource)).toContain(':parameter/wa-marketing-sender/ci/meta-access-token');
  });

  it('serves the webhook from a function URL and runs the status function from its queue', () => {
    expect(resources.WebhookLambdaFunctionUrl!.Properties.AuthType).toBe('NONE');
    expect(resources.StatusQueue!.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['StatusDeadLetterQueue', 'Arn'] });
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
      ([, r]) => r.Properties.EventSourceArn['Fn::GetAtt'][0] === 'StatusQueue',
    )![1];
    expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const webhookEnv = resources.WebhookLambdaFunction!.Properties.Environment.Variables;
    expect(webhookEnv.META_APP_SECRET_PARAMETER).toBe('/wa-marketing-sender/ci/meta-app-secret');
    // The sweep's schedule and the campaign ticker's.
    expect(
      ofType('AWS::Events::Rule')
        .map(([, r]) => r.Properties.ScheduleExpression)
        .sort(),
    ).toEqual(['rate(1 minute)', 'rate(15 minutes)']);
  });

  it('runs the campaign ticker every minute, long enough to wait for a launch within the minute and its preflight', () => {
    const rule = ofType('AWS::Events::Rule').find(([, r]) => r.Properties.ScheduleExpression === 'rate(1 minute)')![1];
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': ['CampaignsLambdaFunction', 'Arn'] });
    const ticker = resources.CampaignsLambdaFunction!.Properties;
    expect(ticker.Runtime).toBe('nodejs24.x');
    // A tick waits up to CAMPAIGN_LOOK_AHEAD_SECONDS (60) for a launch's second, then runs the preflight.
    expect(ticker.Timeout).toBeGreaterThanOrEqual(60 + 30);
    expect(ticker.Environment.Variables).toMatchObject({
      WHATSAPP_ACCOUNTS: expect.stringMatching(/^\{"\d+":\["\d+"/),
      FEED_QUEUE_URL: { Ref: 'FeedQueue' },
    });
  });

  it('feeds one campaign per invocation from the feed queue, within the visibility and retention AWS asks for', () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
      ([, r]) => r.Properties.EventSourceArn['Fn::GetAtt'][0] === 'FeedQueue',
    )![1];
    expect(mapping.Properties).toMatchObject({ BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(mapping.Properties.FunctionName).toEqual({ 'Fn::GetAtt': ['FeederLambdaFunction', 'Arn'] });
    const feeder = resources.FeederLambdaFunction!.Properties;
    // Lambda's 15-minute limit: the feeder stops before it and queues its sequel.
    expect(feeder.Timeout).toBe(900);
    // AWS: a visibility timeout of at least 6 times the function's timeout for an SQS event source.
    expect(resources.FeedQueue!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * feeder.Timeout);
    expect(resources.FeedQueue!.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['FeedDeadLetterQueue', 'Arn'] });
    // A DLQ keeps its messages at least as long as the source queue (AWS's advice for redrive).
    expect(resources.FeedDeadLetterQueue!.Properties.MessageRetentionPeriod).toBeGreaterThanOrEqual(
      resources.FeedQueue!.Properties.MessageRetentionPeriod,
    );
  });

  it('indexes campaign items without a scan and alarms on refused edits, failed campaigns and a stuck feed', () => {
    const index = resources.CampaignsTable!.Properties.GlobalSecondaryIndexes.find(
      (candidate: { IndexName: string }) => candidate.IndexName === 'campaigns-by-item',
    );
    expect(index.KeySchema).toEqual([
      { AttributeName: 'item', KeyType: 'HASH' },
      { AttributeName: 'campaignId', KeyType: 'RANGE' },
    ]);
    expect(index.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'appliedStatus'] });
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([id]) => id);
    expect(alarms).toEqual(expect.arrayContaining(['CampaignEditRefusedAlarm', 'CampaignFailedAlarm', 'FeedDeadLetterQueueNotEmptyAlarm']));
  });

  it('alarms on signed webhook events left out for every reason the webhook counts', () => {
    const alarm = resources.UnservedWebhookEventsAlarm!.Properties;
    const reasons = (
      alarm.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string; Dimensions: Array<{ Name: string; Value: string }> } } }>
    )
      .filter((m) => m.MetricStat?.Metric.MetricName === 'UnservedWebhookEvents')
      .map((m) => m.MetricStat!.Metric.Dimensions.find((d) => d.Name === 'reason')!.Value);
    expect(reasons.sort()).toEqual(['account', 'object', 'phone_number']);
  });

  it('alarms on dead-lettered jobs, a stalled send queue and wrongly signed webhooks', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    expect(alarms.map((a) => a.MetricName)).toEqual(
      expect.arrayContaining(['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'WebhookSignatureInvalid']),
    );
  });

  it("caps the webhook with reserved concurrency (param webhookReservedConcurrency), so a flood cannot take the others' concurrency", () => {
    expect(resources.WebhookLambdaFunction!.Properties.ReservedConcurrentExecutions).toBe(40);
    // The queue-driven functions are capped by their event sources instead: no reservation of their own.
    expect(resources.SendLambdaFunction!.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(resources.StatusLambdaFunction!.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('gathers status batches of up to 1,000 events for up to 5 s, within the queue visibility AWS asks for', () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
      ([, r]) => r.Properties.EventSourceArn['Fn::GetAtt'][0] === 'StatusQueue',
    )![1];
    expect(mapping.Properties).toMatchObject({ BatchSize: 1000, MaximumBatchingWindowInSeconds: 5 });
    const timeout = resources.StatusLambdaFunction!.Properties.Timeout;
    expect(resources.StatusQueue!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * timeout + mapping.Properties.MaximumBatchingWindowInSeconds,
    );
  });

  it('counts job changes from the jobs table stream exactly once: retried from the batch start, one batch per shard, failures to a DLQ with an alarm', () => {
    expect(resources.JobsTable!.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
      ([, r]) => JSON.stringify(r.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': ['JobsTable', 'StreamArn'] }),
    )![1];
    expect(mapping.Properties.FunctionName).toEqual({ 'Fn::GetAtt': ['CountJobChangesLambdaFunction', 'Arn'] });
    // The counter marks are keyed by a batch's first record: a bisected or parallel batch would not find them.
    expect(mapping.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 1,
      BisectBatchOnFunctionError: false,
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['CountsDeadLetterQueue', 'Arn'] } } },
    });
    expect(mapping.Properties.FunctionResponseTypes ?? []).toEqual([]);
    expect(mapping.Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT', 'MODIFY'] },
    ]);
    // The DLQ keeps what it is told for the 14 days AWS allows at most, and someone hears of it.
    expect(resources.CountsDeadLetterQueue!.Properties.MessageRetentionPeriod).toBe(1_209_600);
    const alarmed = (queue: string) =>
      ofType('AWS::CloudWatch::Alarm').some(([, r]) => JSON.stringify(r.Properties.Dimensions ?? []).includes(queue));
    expect(alarmed('CountsDeadLetterQueue')).toBe(true);
    expect(resources.CountsIteratorAgeAlarm!.Properties).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'IteratorAge' });
    // Its role reads that stream, adds to the campaigns table and reports to its DLQ: nothing else.
    const statements = statementsOf('CountJobChangesFunctionRole');
    expect(statements.flatMap((st) => st.Action).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:UpdateItem',
      'sqs:SendMessage',
    ]);
    // Lambda's timeout leaves the 1 s window and DynamoDB retries room, far under the 15-minute cap.
    expect(resources.CountJobChangesLambdaFunction!.Properties).toMatchObject({ Runtime: 'nodejs24.x', Timeout: 60, MemorySize: 256 });
  });

  it('re-sends unknown jobs from the sweep only if configured, querying the index of unknown jobs and enqueueing on the send queues', async () => {
    const sweepEnv = (of: Template) => of.Resources.SweepLambdaFunction!.Properties.Environment.Variables;
    expect(sweepEnv(template)).toMatchObject({ UNKNOWN_RESEND_AUTOMATIC: 'false', UNKNOWN_RESEND_AFTER_SECONDS: '3600' });
    expect(sweepEnv(template).SEND_QUEUE_URL).toEqual({ Ref: 'SendQueue' });
    expect(sweepEnv(template).DEFERRED_QUEUE_URL).toEqual({ Ref: 'DeferredQueue' });
    const statements = statementsOf('SweepFunctionRole');
    const query = statements.find((s) => s.Action.includes('dynamodb:Query') && JSON.stringify(s.Resource).includes('JobsTable'))!;
    expect(query.Resource).toEqual([{ 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['JobsTable', 'Arn'] }, 'index', 'unknown-jobs-by-day']] }]);
    const send = statements.find((s) => s.Action.includes('sqs:SendMessage'))!;
    expect(send.Resource).toEqual([{ 'Fn::GetAtt': ['SendQueue', 'Arn'] }, { 'Fn::GetAtt': ['DeferredQueue', 'Arn'] }]);
    const dir = mkdtempSync(join(tmpdir(), 'sls-unknown-resend-'));
    const on = await packageTemplate({ dir, params: { unknownResendAutomatic: 'true', unknownResendAfterSeconds: '7200' } });
    expect(sweepEnv(on)).toMatchObject({ UNKNOWN_RESEND_AUTOMATIC: 'true', UNKNOWN_RESEND_AFTER_SECONDS: '7200' });
  }, 180_000);

  it('derives the send batch and concurrency from the rate: 2.5 s of send times per batch, the hand-over covered', async () => {
    const fast = await packageTemplate({ dir: mkdtempSync(join(tmpdir(), 'sls-rate-')), params: { messagesPerSecond: '1000' } });
    const mapping = Object.values(fast.Resources).find(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.EventSourceArn['Fn::GetAtt'][0] === 'SendQueue',
    )!;
    expect(mapping.Properties).toMatchObject({ BatchSize: 1_000, ScalingConfig: { MaximumConcurrency: 5 } });
  }, 180_000);

  it("writes JSON logs with Lambda's report lines (cold starts, memory) on every function, at the Powertools log level", () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(8);
    for (const [logicalId, { Properties: fn }] of functions) {
      expect({ logicalId, logging: fn.LoggingConfig }).toEqual({
        logicalId,
        logging: {
          LogFormat: 'JSON',
          SystemLogLevel: 'INFO',
          ApplicationLogLevel: fn.Environment.Variables.POWERTOOLS_LOG_LEVEL,
        },
      });
      // EMF lines carry no level and count as INFO: a stricter application level would drop the metrics.
      expect(['TRACE', 'DEBUG', 'INFO']).toContain(fn.LoggingConfig.ApplicationLogLevel);
    }
  });
});

describe('resources that survive mistakes', () => {
  const stateful = () => [...ofType('AWS::DynamoDB::Table'), ...ofType('AWS::SQS::Queue')];

  it('keeps every table and queue through `sls remove`, a renamed logical id or a replacement', () => {
    expect(stateful().length).toBeGreaterThanOrEqual(13);
    for (const [logicalId, resource] of stateful()) {
      expect({ logicalId, deletion: resource.DeletionPolicy, replacement: resource.UpdateReplacePolicy }).toEqual({
        logicalId,
        deletion: 'Retain',
        replacement: 'Retain',
      });
    }
  });

  it('protects every table from deletion and keeps point-in-time recovery on each', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id).sort()).toEqual(['CampaignsTable', 'ControlTable', 'JobsTable', 'UsersTable']);
    for (const [logicalId, table] of tables) {
      expect({ logicalId, protection: table.Properties.DeletionProtectionEnabled }).toEqual({ logicalId, protection: true });
      expect({ logicalId, pitr: table.Properties.PointInTimeRecoverySpecification }).toEqual({
        logicalId,
        pitr: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it('encrypts every queue at rest, stated explicitly', () => {
    for (const [logicalId, queue] of ofType('AWS::SQS::Queue')) {
      expect({ logicalId, sse: queue.Properties.SqsManagedSseEnabled }).toEqual({ logicalId, sse: true });
    }
  });

  it('publishes no Lambda versions, so none pile up deploy after deploy', () => {
    expect(ofType('AWS::Lambda::Version')).toEqual([]);
  });

  it("gives producers the send queue's URL and ARN and a managed policy that allows enqueuing and nothing else", () => {
    const outputs = template.Outputs ?? {};
    expect(outputs.SendQueueUrl?.Value).toEqual({ Ref: 'SendQueue' });
    expect(outputs.SendQueueArn?.Value).toEqual({ 'Fn::GetAtt': ['SendQueue', 'Arn'] });
    expect(outputs.SendQueueProducerPolicyArn?.Value).toEqual({ Ref: 'SendQueueProducerPolicy' });
    for (const name of ['SendQueueUrl', 'SendQueueArn', 'SendQueueProducerPolicyArn'])
      expect(outputs[name]?.Export?.Name).toBe(`wa-marketing-sender-ci-${name}`);
    const policy = resources.SendQueueProducerPolicy!;
    expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], Resource: [{ 'Fn::GetAtt': ['SendQueue', 'Arn'] }] },
    ]);
  });
});

describe('alarms that reach someone', () => {
  it('sends every alarm and its recovery to the alarm topic, which CloudWatch of this account may publish to', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(15);
    for (const [logicalId, alarm] of alarms) {
      expect({ logicalId, on: alarm.Properties.AlarmActions, off: alarm.Properties.OKActions }).toEqual({
        logicalId,
        on: [{ Ref: 'AlarmTopic' }],
        off: [{ Ref: 'AlarmTopic' }],
      });
    }
    expect(resources.AlarmTopic!.Type).toBe('AWS::SNS::Topic');
    const [statement] = resources.AlarmTopicPolicy!.Properties.PolicyDocument.Statement;
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: 'AlarmTopic' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    expect(template.Outputs?.AlarmTopicArn?.Value).toEqual({ Ref: 'AlarmTopic' });
  });

  it("alarms on every function's errors and throttles, a sweep that stopped running and sends that draw no webhook", () => {
    const functionNames = ofType('AWS::Lambda::Function').map(([, fn]) => fn.Properties.FunctionName as string);
    expect(functionNames).toHaveLength(8);
    const namesIn = (alarm: string, metric: string): string[] => {
      const properties = resources[alarm]!.Properties;
      const stats = properties.Metrics
        ? properties.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).map(
            (m: { MetricStat: { Metric: unknown } }) => m.MetricStat.Metric,
          )
        : [properties];
      return stats
        .filter((m: { MetricName: string; Namespace: string }) => m.Namespace === 'AWS/Lambda' && m.MetricName === metric)
        .map((m: { Dimensions: Array<{ Value: string }> }) => m.Dimensions[0]!.Value);
    };
    const errorsWatched = [...namesIn('SendFunctionErrorsAlarm', 'Errors'), ...namesIn('FunctionErrorsAlarm', 'Errors')];
    expect(errorsWatched.sort()).toEqual([...functionNames].sort());
    expect(namesIn('FunctionThrottlesAlarm', 'Throttles').sort()).toEqual([...functionNames].sort());

    expect(resources.SweepNotRunAlarm!.Properties).toMatchObject({
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: 'wa-marketing-sender-ci-sweep' }],
      Period: 1800,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    const silent = resources.SendsWithoutWebhooksAlarm!.Properties;
    expect(namesIn('SendsWithoutWebhooksAlarm', 'Invocations')).toEqual(['wa-marketing-sender-ci-webhook']);
    expect(silent.Metrics.find((m: { Id: string }) => m.Id === 'calls').MetricStat.Metric).toMatchObject({
      Namespace: 'WaMarketingSender',
      MetricName: 'MetaApiCalls',
    });
    expect(silent.Metrics.find((m: { ReturnData: boolean }) => m.ReturnData).Expression).toBe(
      'IF(FILL(calls, 0) > 0 AND FILL(webhooks, 0) == 0, 1, 0)',
    );
  });

  it('watches the age of the oldest message on every queue, and a campaign that stalls', () => {
    const queues = ofType('AWS::SQS::Queue').map(([id]) => id);
    expect(queues).toHaveLength(9);
    const agesWatched = ofType('AWS::CloudWatch::Alarm').flatMap(([, alarm]) => {
      const metrics = alarm.Properties.Metrics
        ? alarm.Properties.Metrics.flatMap((m: { MetricStat?: { Metric: unknown } }) => (m.MetricStat ? [m.MetricStat.Metric] : []))
        : [alarm.Properties];
      return metrics
        .filter((m: { MetricName: string }) => m.MetricName === 'ApproximateAgeOfOldestMessage')
        .map((m: { Dimensions: Array<{ Value: { 'Fn::GetAtt': [string, string] } }> }) => m.Dimensions[0]!.Value['Fn::GetAtt'][0]);
    });
    expect(agesWatched.sort()).toEqual([...queues].sort());
    // Deferred messages are renewed at a week old; a DLQ message is deleted at 14 days.
    expect(resources.DeferredQueueOldestMessageAlarm!.Properties.Threshold).toBe(8 * 86_400);
    expect(resources.DeadLetterNearRetentionAlarm!.Properties.Threshold).toBeLessThan(14 * 86_400);
    expect(resources.CampaignStalledAlarm!.Properties).toMatchObject({
      Namespace: 'WaMarketingSender',
      MetricName: 'CampaignsStalled',
      Dimensions: [
        { Name: 'service', Value: 'wa-marketing-sender' },
        { Name: 'function', Value: 'campaigns' },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it('subscribes an email address and an HTTPS endpoint only when the stage params give them', async () => {
    const subscriptionsOf = (of: Template) =>
      Object.values(of.Resources)
        .filter((r) => r.Type === 'AWS::SNS::Subscription' && evaluateCondition(of.Conditions?.[r.Condition!]))
        .map((r) => ({ protocol: r.Properties.Protocol, endpoint: r.Properties.Endpoint, topic: r.Properties.TopicArn }));
    expect(subscriptionsOf(template)).toEqual([]);
    const params = { alarmEmail: 'oncall@example.com', alarmHttpsEndpoint: 'https://hooks.example.com/alarms' };
    const subscribed = await packageTemplate({ dir: mkdtempSync(join(tmpdir(), 'alarm-topic-')), params });
    expect(subscriptionsOf(subscribed)).toEqual([
      { protocol: 'email', endpoint: 'oncall@example.com', topic: { Ref: 'AlarmTopic' } },
      { protocol: 'https', endpoint: 'https://hooks.example.com/alarms', topic: { Ref: 'AlarmTopic' } },
    ]);
  }, 180_000);
});

describe('the bundles', () => {
  it('are minified ESM without source maps by default, and each loads in a fresh Node and exports its handler', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundles-package-'));
    const packaged = await packageTemplate({ dir });
    const measured = await runTool('measure-bundles.ts', ['--dir', dir, '--runs', '1', '--json'], process.env);
    expect(measured.stderr).toBe('');
    expect(measured.code).toBe(0);
    const { figures } = JSON.parse(measured.stdout) as { figures: Array<{ function: string; files: string[]; unpackedBytes: number }> };
    expect(figures.map((f) => f.function).sort()).toEqual(
      ['campaigns', 'countJobChanges', 'feeder', 'release', 'send', 'status', 'sweep', 'webhook'].sort(),
    );
    for (const bundle of figures) {
      expect(bundle.files).toHaveLength(1);
      expect(bundle.files[0]).toMatch(/^functions\/[\w-]+\.mjs$/);
      // Unminified with its map, each was 7–10 MB.
      expect(bundle.unpackedBytes).toBeLessThan(2_000_000);
    }
    expect(packaged.Resources.SendLambdaFunction!.Properties.Environment.Variables.NODE_OPTIONS).toBe('');
  }, 240_000);

  it('refuses a directory without bundles, changing nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-bundles-'));
    const measured = await runTool('measure-bundles.ts', ['--dir', empty], process.env);
    expect(measured.code).toBe(2);
    expect(measured.stderr).toMatch(/no \.zip in/);
  });
});

describe('the KMS key of the SecureString parameters', () => {
  const readers = ['SendFunctionRole', 'WebhookFunctionRole', 'CampaignsFunctionRole'];
  const decrypts = (of: Template, role: string) => statementsOf(role, of).filter((s) => s.Action.includes('kms:Decrypt'));

  it('grants no kms:Decrypt by default (the AWS managed key aws/ssm lets SSM decrypt for the account)', () => {
    for (const role of Object.keys(resources).filter((name) => name.endsWith('FunctionRole'))) {
      expect(decrypts(template, role)).toEqual([]);
    }
  });

  it('grants kms:Decrypt on a customer-managed key to the roles that read secrets, through SSM only, and to no other', async () => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const withKey = await packageTemplate({ dir: mkdtempSync(join(tmpdir(), 'kms-package-')), params: { secretsKmsKeyArn: key } });
    for (const role of Object.keys(withKey.Resources).filter((name) => name.endsWith('FunctionRole'))) {
      const granted = decrypts(withKey, role);
      if (!readers.includes(role)) {
        expect(granted, role).toEqual([]);
        continue;
      }
      expect(granted, role).toEqual([
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [key],
          Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } } },
        },
      ]);
    }
  }, 180_000);
});

describe('the dashboard and the metrics it and the alarms name', () => {
  /** A metric as the template names it: namespace, name, dimension names (sorted) and the values given. */
  type Named = { where: string; namespace: string; name: string; dimensions: string[]; values: Record<string, unknown> };

  /** `[namespace, name, dim, value, …, {options}]`, or a SEARCH over `{namespace,dims…} MetricName="…"`. */
  function namedInDashboard(body: { widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }> }): Named[] {
    return body.widgets.flatMap(({ properties }) =>
      (properties.metrics ?? []).flatMap((entry): Named[] => {
        const where = `dashboard: ${properties.title}`;
        const first = entry[0];
        if (typeof first === 'string') {
          const pairs = entry.slice(2).filter((part) => typeof part === 'string') as string[];
          const values = Object.fromEntries(pairs.flatMap((part, i) => (i % 2 === 0 ? [[part, pairs[i + 1]]] : [])));
          return [{ where, namespace: first, name: entry[1] as string, dimensions: Object.keys(values).sort(), values }];
        }
        const expression = (first as { expression: string }).expression;
        const found = /SEARCH\('\{([^}]+)\} MetricName="([^"]+)"'/.exec(expression);
        if (!found) throw new Error(`${where}: an expression that is not a SEARCH over one metric: ${expression}`);
        const [namespace, ...dimensions] = found[1]!.split(',');
        return [{ where, namespace: namespace!, name: found[2]!, dimensions: dimensions.sort(), values: {} }];
      }),
    );
  }

  function namedInAlarms(): Named[] {
    return ofType('AWS::CloudWatch::Alarm').flatMap(([logicalId, { Properties: p }]) => {
      const stats = p.Metrics
        ? p.Metrics.flatMap((m: { MetricStat?: { Metric: unknown } }) => (m.MetricStat ? [m.MetricStat.Metric] : []))
        : [p];
      return stats.map((m: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: unknown }> }) => ({
        where: `alarm ${logicalId}`,
        namespace: m.Namespace,
        name: m.MetricName,
        dimensions: m.Dimensions.map((d) => d.Name).sort(),
        values: Object.fromEntries(m.Dimensions.map((d) => [d.Name, d.Value])),
      }));
    });
  }

  const dashboardBody = () => JSON.parse(resources.OperationsDashboard!.Properties.DashboardBody as string);

  it('has a row for each thing an operator watches, in the region and names of the stage', () => {
    const body = dashboardBody();
    const titles = body.widgets.map((w: { properties: { title?: string } }) => w.properties.title).filter(Boolean);
    expect(titles).toEqual([
      'Sends per second per phone number, against its ceiling',
      '130429 (throughput) per phone number, and the fleet slowing down',
      'Breakers: open per phone number (1), jobs held, stops and closes',
      'Jobs accepted, delivered, read, failed',
      'Failed jobs by error code',
      '131049 hits (per-user marketing limit)',
      'Unknown outcomes, and how they settled',
      'Status lag: oldest webhook event waiting, figures behind the jobs',
      'Dead-letter queue depths',
      'Webhook refusals',
      'Campaign progress (% of rows with an outcome)',
      'Campaigns launched, stalled, failed',
    ]);
    expect(
      new Set(
        body.widgets
          .filter((w: { type: string }) => w.type === 'metric')
          .map((w: { properties: { region: string } }) => w.properties.region),
      ),
    ).toEqual(new Set(['eu-west-1']));
    expect(resources.OperationsDashboard!.Properties.DashboardName).toBe('wa-marketing-sender-ci');
  });

  it('names only metrics the code emits, with the dimensions it emits them with, and functions and queues the template creates', () => {
    const named = [...namedInDashboard(dashboardBody()), ...namedInAlarms()];
    const functionNames = new Set(ofType('AWS::Lambda::Function').map(([, fn]) => fn.Properties.FunctionName as string));
    const queueNames = new Set(ofType('AWS::SQS::Queue').map(([, queue]) => queue.Properties.QueueName as string));
    const queueIds = new Set(ofType('AWS::SQS::Queue').map(([id]) => id));
    const problems = named.flatMap((metric): string[] => {
      if (metric.namespace === 'AWS/Lambda')
        return functionNames.has(metric.values.FunctionName as string)
          ? []
          : [`${metric.where}: no function ${metric.values.FunctionName}`];
      if (metric.namespace === 'AWS/SQS') {
        const queue = metric.values.QueueName as string | { 'Fn::GetAtt': [string, string] };
        const known = typeof queue === 'string' ? queueNames.has(queue) : queueIds.has(queue['Fn::GetAtt'][0]);
        return known ? [] : [`${metric.where}: no queue ${JSON.stringify(queue)}`];
      }
      if (metric.namespace !== 'WaMarketingSender') return [`${metric.where}: namespace ${metric.namespace}`];
      const emitters = EMITTED_METRICS.filter(
        (e) =>
          e.name === metric.name &&
          e.dimensions.join() === metric.dimensions.join() &&
          (metric.values.function === undefined || metric.values.function === e.function),
      );
      return emitters.length > 0
        ? []
        : [`${metric.where}: ${metric.name} [${metric.dimensions}] function=${metric.values.function} is not emitted so`];
    });
    expect(problems).toEqual([]);
    expect(named.filter((m) => m.namespace === 'WaMarketingSender').length).toBeGreaterThan(30);
  });

  it('lists in its catalogue only metrics whose emitting text is in the sources', () => {
    const missing = EMITTED_METRICS.flatMap(({ name, evidence }) =>
      evidence.flatMap(([file, text]) =>
        readFileSync(new URL(file, root), 'utf8').includes(text) ? [] : [`${name}: ${file} lacks ${text}`],
      ),
    );
    expect(missing).toEqual([]);
  });
});
