/**
 * The port through which the benchmark drives a system under test. The benchmark owns the local
 * stack, the MM API simulator, the measurements and the report; the target says how to run its
 * functions, what to create, how to enqueue a job and how to tell that a campaign is done.
 * The benchmark imports nothing of the target: the target's own entry point builds a
 * {@link BenchTarget} and hands it to `main`.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalEndpoints } from 'lambda-local-kit';
import type { AttributionRules } from './attribution.ts';
import type { LambdaLogging } from './cost-model.ts';

/** The system under test. */
export interface BenchTarget {
  /** The credentials the target's functions present to the MM API and verify its webhooks with. */
  readonly metaCredentials: { readonly accessToken: string; readonly appSecret: string };
  /**
   * The processes the functions run in. `single` puts every function in one process; otherwise
   * the groups run side by side, as Lambda runs each function in processes of its own.
   */
  workerGroups(single: boolean): WorkerGroup[];
  /** The send event source's maximumConcurrency the target deploys for a per-number ceiling. */
  concurrencyFor(ratePerSecond: number): number;
  /** How the benchmark's worker instrument tells the send path's requests from the status path's. */
  readonly attribution: AttributionRules;
  /** Memory and logging settings per function, as deployed: the cost model prices them. */
  lambdaSettings(): LambdaSettings;
  /** Creates the target's queues and tables for `stage` on the local stack. */
  deploy(input: DeployInput): Promise<BenchStage>;
  /**
   * The command that runs `functions` in a child process. The benchmark runs `script` with its
   * own Node, adding `--import` preloads and profiling flags, and the local stack's endpoints
   * (`localStackEnv`) to the environment. The process must:
   * - print one JSON line `{"ready":true,"webhookUrl":"…"}` on stdout once its event sources
   *   poll (`webhookUrl` is where its webhook function listens, if it runs one);
   * - on SIGTERM, stop polling, finish what is in flight and print one JSON line
   *   `{"stopped":true,"cpuMs":…,"maxRssMb":…,"requests":{…},"eventSources":{…}}` (see
   *   `WorkerStopped`), then exit;
   * - write its logs as JSON lines (EMF metric lines carry `"_aws"` and a `"function"` dimension).
   */
  workerCommand(input: WorkerInput): WorkerCommand;
}

/** Functions that run together in one worker process. */
export interface WorkerGroup {
  /** Short name, unique among the groups (names the instrument's file). */
  name: string;
  /** The target's function names, as its worker understands them. */
  functions: string[];
  /** The group that receives Meta's status webhooks: the simulator posts to its `webhookUrl`. */
  receivesWebhooks: boolean;
}

/** Memory (MB) and Lambda logging settings, by function name. */
export interface LambdaSettings {
  memoryMb: Record<string, number>;
  logging: Record<string, LambdaLogging>;
}

/** What {@link BenchTarget.deploy} gets. */
export interface DeployInput {
  endpoints: LocalEndpoints;
  /** Unique to the run; part of every resource name. */
  stage: string;
  /** A client of the local DynamoDB that the stage may keep to read campaign figures. */
  documents: DynamoDBDocumentClient;
}

/** The target's resources for one run, and what the benchmark does with them. */
export interface BenchStage {
  /** The prefix of every queue and table name (`<service>-<stage>-`), stripped in the instrument's figures. */
  resourcePrefix: string;
  /** Queue URLs whose depth tells when the run is done (every one empty). */
  queues: { send: string; status: string; deferred: string };
  /** The table with one item per job, read after the run for job states and the send's own latency. */
  jobs: JobsTable;
  /** Enqueues a batch of jobs on the send queue with `sqs` (the benchmark counts its requests); throws if any is refused. */
  enqueue(sqs: SQSClient, batch: JobBatch): Promise<number>;
  /** Jobs of the campaign whose message was delivered or read, from the target's own campaign figures. */
  deliveredOrRead(campaignId: string): Promise<number>;
}

/** Where the jobs table keeps what the benchmark reads from it. */
export interface JobsTable {
  name: string;
  /** Attribute names: the job's state, and when it was claimed and accepted (ISO 8601 strings). */
  attributes: { state: string; claimedAt: string; acceptedAt: string };
}

/** Jobs for one campaign: one per recipient, all on the same phone number and template. */
export interface JobBatch {
  campaignId: string;
  phoneNumberId: string;
  template: { name: string; languageCode: string };
  /** Recipients in E.164, each with the text of the template's one body parameter. */
  recipients: Array<{ phone: string; bodyText: string }>;
  /** When the jobs were created (epoch ms): the start of their enqueue → accepted latency. */
  createdAt: number;
}

/** What {@link BenchTarget.workerCommand} gets. */
export interface WorkerInput {
  stage: string;
  functions: string[];
  /** The MM API simulator's base URL, in place of https://graph.facebook.com. */
  metaBaseUrl: string;
  /** The per-phone-number ceiling the simulator enforces (messages per second). */
  ratePerSecond: number;
  /** The send event source's maximumConcurrency. */
  concurrency: number;
  /** `INFO` as deployed; `SILENT` to measure without logging. */
  logLevel: 'INFO' | 'SILENT';
  /** Extra function environment from the command line (`--env KEY=VALUE`). */
  env: Record<string, string>;
}

/** A worker process: `node <script>` in `cwd` with `env` added to the benchmark's environment. */
export interface WorkerCommand {
  script: string;
  cwd: string;
  env: Record<string, string>;
}
