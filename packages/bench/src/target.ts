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
  /** The send event source's maximumConcurrency the target deploys for a fleet rate (every number sending at once, each at its ceiling). */
  concurrencyFor(fleetRatePerSecond: number): number;
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
   * - write its logs as JSON lines (EMF metric lines carry `"_aws"` and a `"function"` dimension);
   *   a line with a `pacing` object (one per send invocation) gives the pacing figures: its
   *   `handOverMs` (from the invocation's environment's previous last send time to its first
   *   reservation), `leadMs` (how far ahead of that reservation its first send time was) and
   *   `idleMs` (how long the number had no send time reserved, when a reservation found it idle).
   */
  workerCommand(input: WorkerInput): WorkerCommand;
  /** What the feed scenario (`--scenario feed`) needs: campaigns fed from an audience file. Absent: the scenario is refused. */
  readonly feed?: FeedBenchTarget;
}

/**
 * Campaigns from an audience file: the benchmark uploads the file, creates the campaign through
 * the target, lets the target's ticker launch it and its feeder stream the file onto the send
 * queue, and reads the campaign's state as it goes.
 */
export interface FeedBenchTarget {
  /** Creates the target's queues, tables and audience bucket for `stage` on the local stack. */
  deployFeed(input: DeployInput): Promise<FeedStage>;
  /**
   * The command that runs the ticker (every `tickEveryMs`) and the feeder, and `functions` besides
   * (e.g. the send path), in a child process, with the same ready and stopped lines as
   * {@link BenchTarget.workerCommand}; its stopped line also carries `requestsByFunction` (the
   * ticker's and the feeder's own requests, S3 included as `s3.*`) and `campaignTicks`.
   */
  feedWorker(input: FeedWorkerInput): WorkerCommand;
  /** Names of the ticker and the feeder in `lambdaSettings()` and `requestsByFunction`. */
  readonly functionNames: { ticker: string; feeder: string };
}

/** The target's resources for a feed run. */
export interface FeedStage {
  resourcePrefix: string;
  /** The bucket the benchmark uploads audiences to. */
  audienceBucket: string;
  /** The send queue the feeder fills (the benchmark may purge it, to keep the stand-in's memory down). */
  sendQueueUrl: string;
  jobs: JobsTable;
  /** Stores a campaign that sends {@link FeedCampaign.template} to every row of the audience object, from `launchAt`. */
  createCampaign(campaign: FeedCampaign): Promise<void>;
  /** The campaign's state as its item says; undefined when there is none. */
  readCampaign(campaignId: string): Promise<FeedCampaignState | undefined>;
}

/** A campaign of the feed scenario: a CSV audience with a header, one template with one body parameter. */
export interface FeedCampaign {
  campaignId: string;
  phoneNumberId: string;
  template: { name: string; languageCode: string };
  /** The CSV's column with the recipient (E.164), and the one that fills the body parameter. */
  columns: { recipient: string; bodyParameter: string };
  audienceKey: string;
  /** Epoch ms. */
  launchAt: number;
}

/** A campaign's state, from its item. */
export interface FeedCampaignState {
  /** The status the target acted on (SCHEDULED, LAUNCHING, SENDING, FAILED…). */
  status: string;
  /** Why it failed or paused. */
  statusReason?: string;
  rowsRead: number;
  enqueued: number;
  /** Epoch ms: when the campaign launched, and when its whole audience had been read. */
  launchedAt?: number;
  fedAt?: number;
  /** Bytes of the campaign item as stored (an estimate): what each write and read of it costs in request units. */
  itemBytes: number;
}

/** What {@link FeedBenchTarget.feedWorker} gets. */
export interface FeedWorkerInput {
  stage: string;
  /** Event-source functions to run beside the ticker and the feeder (e.g. the send path). */
  functions: string[];
  metaBaseUrl: string;
  /** The per-number rate the target is told to keep. */
  ratePerSecond: number;
  /** Run the ticker this often (ms). */
  tickEveryMs: number;
  logLevel: 'INFO' | 'SILENT';
  /** More function environment (e.g. the feed horizon). */
  env: Record<string, string>;
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
  /** Phone numbers sending at once at that rate: the target sizes its send function for all of them. */
  sendingNumbers: number;
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
  /** Node's own options before the script, e.g. the V8 heap limits a Lambda function of some memory size runs with. */
  nodeArgs?: string[];
}
