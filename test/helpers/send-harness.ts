import { GetQueueAttributesCommand, type Message, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueOf, tableOf } from 'lambda-local-kit';
import { type Simulator, type SimulatorOptions, startSimulator } from 'mm-api-simulator';
import { afterAll } from 'vitest';
import { createCampaignCounters } from '../../lib/adapters/dynamodb/campaign-counters.ts';
import { createUserStore } from '../../lib/adapters/dynamodb/user-store.ts';
import { type CampaignFigures, campaignFigures } from '../../lib/domain/campaign-figures.ts';
import { optOutFor } from '../../lib/domain/opt-out.ts';
import { SANCTIONED_COUNTRIES } from '../../lib/domain/phone.ts';
import { type JobRecord, jobKeyOf } from '../../lib/jobs/job-record.ts';
import type { UserRecord } from '../../lib/ports/user-store.ts';
import { enqueuePrepared, prepareJobs } from '../../lib/producer.ts';
import { deployLocally, type LocalDeployment, type LocalDeploymentOptions } from '../../local/deployment.ts';
import { scanJobs } from './jobs-table.ts';
import { useLocalStack } from './local-stack.ts';

export const PHONE_NUMBER_ID = '100000000000001';
/** A second business number, for tests that stop one number and must not stop the other. */
export const OTHER_PHONE_NUMBER_ID = '100000000000002';
/** The account of both numbers in serverless.yml's default WHATSAPP_ACCOUNTS. */
export const SIMULATOR_ACCOUNT_ID = '100000000000000';

/** A scenario with the templates the factories use and no injected faults. */
export function baseScenario(overrides: SimulatorOptions = {}): SimulatorOptions {
  return {
    tokens: ['local-dev-token'],
    phoneNumbers: [
      { id: PHONE_NUMBER_ID, ratePerSecond: 1_000 },
      { id: OTHER_PHONE_NUMBER_ID, ratePerSecond: 1_000 },
    ],
    templates: [{ name: 'autumn_sale', category: 'MARKETING', languages: ['en_US', 'de_DE'], bodyParams: 1, ttlSeconds: 86_400 }],
    pairRateLimit: false,
    rules: [],
    ...overrides,
  } as SimulatorOptions;
}

export interface SendHarness {
  sim: Simulator;
  deployment: LocalDeployment;
  /** Validates and enqueues jobs with the producer helper, as upstream systems do. */
  enqueue(jobs: unknown[]): Promise<void>;
  /** Puts a raw body on the send queue (for malformed input). */
  sendRaw(body: string): Promise<void>;
  job(campaignId: string, recipient: string): Promise<JobRecord | undefined>;
  /**
   * The recipient's user items, with `optedOut` and `optOutSource` as in force for `account`
   * (default: the simulator's account, whose numbers the tests send from).
   */
  user(recipient: string, account?: string): Promise<UserRecord | undefined>;
  allJobs(): Promise<JobRecord[]>;
  /** Polls until `done` holds for the job records, or fails after `timeoutMs`. */
  waitForJobs(done: (jobs: JobRecord[]) => boolean, timeoutMs?: number): Promise<JobRecord[]>;
  /** Receives (and leaves hidden) every message on a queue by logical id. */
  drain(logicalId: string): Promise<Message[]>;
  queueCounts(logicalId: string): Promise<QueueCounts>;
  /** Waits until a queue has nothing visible or in flight (delayed messages may remain). */
  quiet(logicalId: string): Promise<void>;
  /** The campaign's counters once every job change made so far is counted (the counting function caught up with the stream). */
  counters(campaignId: string): Promise<Record<string, number>>;
  /**
   * The campaign's figures, as the report command prints them, once the status queue is quiet
   * and the counting function has caught up: a test that saw a job change could otherwise read
   * the counters a moment before they change too.
   */
  figures(campaignId: string): Promise<CampaignFigures>;
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** A queue's messages: visible, in flight (received, not deleted) and delayed. */
export async function countMessages(sqs: SQSClient, queueUrl: string): Promise<QueueCounts> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed),
  };
}

/**
 * The status event source's batching window in tests: serverless.yml's 5 s would add up to 5 s to
 * every status hop of every test; 0.2 s still gathers the events that arrive together.
 */
export const TEST_BATCHING_WINDOW_SECONDS = 0.2;

/** Starts a simulator and a local deployment of the service for one test file; stopped after the file. */
export async function startSendHarness(
  simulator: SimulatorOptions = baseScenario(),
  deployment: Omit<LocalDeploymentOptions, 'endpoints' | 'metaBaseUrl'> = {},
): Promise<SendHarness> {
  const { endpoints, clients } = useLocalStack();
  const sim = await startSimulator(simulator);
  const deployed = await deployLocally({
    endpoints,
    metaBaseUrl: sim.url,
    maximumBatchingWindowSeconds: TEST_BATCHING_WINDOW_SECONDS,
    counting: 'when-read',
    ...deployment,
  });
  afterAll(async () => {
    await deployed.stop();
    await sim.stop();
  });
  const sendQueue = queueOf(deployed.resources, 'SendQueue');
  const jobsTable = tableOf(deployed.resources, 'JobsTable').name;
  const users = createUserStore(clients.documents, { tableName: tableOf(deployed.resources, 'UsersTable').name, retentionDays: 1 });
  const counters = createCampaignCounters(clients.documents, { tableName: tableOf(deployed.resources, 'CampaignsTable').name, shards: 10 });

  const allJobs = () => scanJobs(clients.documents, jobsTable);

  const queueCounts = (logicalId: string) => countMessages(clients.sqs, queueOf(deployed.resources, logicalId).url);

  const quiet = async (logicalId: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const counts = await queueCounts(logicalId);
      if (counts.visible === 0 && counts.inFlight === 0) return;
      if (Date.now() > deadline) throw new Error(`${logicalId} not quiet: ${JSON.stringify(counts)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  return {
    sim,
    deployment: deployed,
    async enqueue(jobs) {
      const prepared = prepareJobs(jobs, { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] });
      if (prepared.rejected.length > 0) throw new Error(`test jobs invalid: ${JSON.stringify(prepared.rejected)}`);
      const report = await enqueuePrepared(clients.sqs, sendQueue.url, prepared.valid);
      if (report.failed.length > 0) throw new Error(`enqueue failed: ${JSON.stringify(report.failed)}`);
    },
    async sendRaw(body) {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: sendQueue.url, MessageBody: body }));
    },
    async job(campaignId, recipient) {
      return (await allJobs()).find((j) => j.jobKey === jobKeyOf(campaignId, recipient));
    },
    allJobs,
    async user(recipient, account = SIMULATOR_ACCOUNT_ID) {
      const user = (await users.getMany([recipient])).get(recipient);
      if (!user?.preferences && user?.optedOut === undefined) return user;
      const optOut = optOutFor(user, account);
      return { ...user, optedOut: optOut !== undefined, ...(optOut ? { optOutSource: optOut.source } : {}) };
    },
    async waitForJobs(done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await allJobs();
        if (done(jobs)) return jobs;
        if (Date.now() > deadline)
          throw new Error(`jobs not settled in ${timeoutMs} ms: ${JSON.stringify(jobs.map((j) => [j.jobKey, j.state]))}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async drain(logicalId) {
      const queue = queueOf(deployed.resources, logicalId);
      const messages: Message[] = [];
      for (;;) {
        const page = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
            VisibilityTimeout: 600,
          }),
        );
        if (!page.Messages?.length) return messages;
        messages.push(...page.Messages);
      }
    },
    queueCounts,
    quiet,
    async counters(campaignId) {
      await deployed.countsCaughtUp();
      return counters.read(campaignId);
    },
    async figures(campaignId) {
      if (deployed.sources.status) await quiet('StatusQueue');
      await deployed.countsCaughtUp();
      return campaignFigures(await counters.read(campaignId));
    },
  };
}
