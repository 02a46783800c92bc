/**
 * npm start: runs a sample campaign through the real handlers on the local stack.
 *
 *   npm start [-- --jobs 1000] [--json] [--concurrency N]
 *
 * Starts DynamoDB Local, fauxqs, the SSM stand-in and the MM API simulator (all on 127.0.0.1),
 * "deploys" the service onto them from serverless.yml, enqueues the campaign, shows progress,
 * prints a summary by state, and stops everything it started.
 */
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { loadScenario } from './simulator/scenario.ts';
import { startSimulator } from './simulator/server.ts';
import { clientsFor, queueOf, startLocalStack, tableOf } from './stack/index.ts';
import { deployLocally } from './deployment.ts';
import { DEMO_BLOCKED_COUNTRIES, demoCampaign } from './demo-campaign.ts';
import { RequestCounter } from './request-counter.ts';
import { enqueuePrepared, prepareJobs } from '../lib/producer.ts';
import { createCampaignCounters } from '../lib/adapters/campaign-counters.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    scenario: { type: 'string', default: new URL('./simulator/scenarios/demo.json', import.meta.url).pathname },
    rate: { type: 'string' },
  },
});
const size = Number(values.jobs);
if (!Number.isInteger(size) || size < 10 || size > 1_000_000) {
  console.error('--jobs must be a whole number from 10 to 1,000,000');
  process.exit(2);
}
const json = values.json;
const say = (line: string) => {
  if (!json) console.log(line);
};

const started = performance.now();
say('starting the local stack (DynamoDB Local, fauxqs, SSM stand-in) and the MM API simulator…');
const stack = await startLocalStack();
const scenario = loadScenario(values.scenario);
if (values.rate) for (const phone of scenario.phoneNumbers) phone.ratePerSecond = Number(values.rate);
const sim = await startSimulator(scenario);
const counter = new RequestCounter();
const stopAll = async () => {
  await deployment?.stop();
  await sim.stop();
  clients.destroy();
  await stack.stop();
};
let deployment: Awaited<ReturnType<typeof deployLocally>> | undefined;
const clients = clientsFor(stack.endpoints);
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));

try {
  deployment = await deployLocally({
    endpoints: stack.endpoints,
    metaBaseUrl: sim.url,
    stage: 'local',
    requestCounter: counter,
    ...(values.concurrency ? { maximumConcurrency: Number(values.concurrency) } : {}),
    env: {
      // Demo-length waits for Meta's transient errors; production keeps the classified ones.
      META_RETRY_WAITS: JSON.stringify({ 1: 2, 131000: 2, 131016: 2, 133004: 2 }),
      META_REQUEST_TIMEOUT_MS: '3000',
    },
  });
  const sendQueue = queueOf(deployment.resources, 'SendQueue');
  const dlq = queueOf(deployment.resources, 'SendDeadLetterQueue');
  const jobsTable = tableOf(deployment.resources, 'JobsTable').name;

  const campaign = demoCampaign(size);
  const prepared = prepareJobs(campaign.jobs, { blockedCountries: DEMO_BLOCKED_COUNTRIES, blockedPrefixes: [] });
  say(`campaign ${campaign.campaignId}: ${prepared.valid.length} valid jobs + ${campaign.invalidBodies.length} invalid ones from a careless upstream`);
  const enqueueStarted = performance.now();
  const report = await enqueuePrepared(clients.sqs, sendQueue.url, prepared.valid);
  for (const body of campaign.invalidBodies) await clients.sqs.send(new SendMessageCommand({ QueueUrl: sendQueue.url, MessageBody: body }));
  if (report.failed.length > 0) throw new Error(`${report.failed.length} jobs could not be enqueued`);

  const countStates = async () => {
    const states = new Map<string, number>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await clients.documents.send(new ScanCommand({ TableName: jobsTable, ProjectionExpression: '#s', ExpressionAttributeNames: { '#s': 'state' }, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) states.set(item.state as string, (states.get(item.state as string) ?? 0) + 1);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return states;
  };
  const dlqDepth = async () => {
    const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  };

  // Progress from the campaign's sharded counters (a cheap query); one scan at the end for the table.
  const counters = createCampaignCounters(clients.documents, { tableName: tableOf(deployment.resources, 'CampaignsTable').name, shards: 10 });
  const FINAL_COUNTERS = ['accepted', 'acceptedOnRetry', 'failed', 'expired', 'unknown', 'suppressed', 'limitExhausted'];
  let rejected = 0;
  let lastProgress = { final: -1, at: performance.now() };
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const [totals, dead] = await Promise.all([counters.read(campaign.campaignId), dlqDepth()]);
    rejected = dead;
    const final = FINAL_COUNTERS.reduce((sum, name) => sum + (totals[name] ?? 0), 0);
    const elapsed = (performance.now() - enqueueStarted) / 1000;
    say(
      `  ${elapsed.toFixed(0).padStart(4)} s  final ${final}/${prepared.valid.length}  accepted ${(totals.accepted ?? 0) + (totals.acceptedOnRetry ?? 0)}` +
        `  retries ${totals.retriesScheduled ?? 0}  rejected ${rejected}/${campaign.invalidBodies.length}  MM API calls ${sim.stats().total}`,
    );
    if (final >= prepared.valid.length && rejected === campaign.invalidBodies.length) break;
    if (final !== lastProgress.final) lastProgress = { final, at: performance.now() };
    if (performance.now() - lastProgress.at > 120_000) {
      console.error('no progress for 120 s: stopping early; the table below shows where the jobs are');
      process.exitCode = 1;
      break;
    }
  }
  const states = await countStates();
  const seconds = (performance.now() - enqueueStarted) / 1000;
  const summary = {
    campaignId: campaign.campaignId,
    jobs: size,
    states: Object.fromEntries([...states].sort()),
    rejectedToDlq: rejected,
    metaApiCalls: sim.stats().total,
    seconds: Number(seconds.toFixed(2)),
    jobsPerSecond: Number((prepared.valid.length / seconds).toFixed(1)),
    sqsRequestsPerJob: Number((counter.total('sqs') / size).toFixed(3)),
    dynamodbRequestsPerJob: Number((counter.total('dynamodb') / size).toFixed(3)),
    requests: counter.byCommand(),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  if (json) {
    console.log(JSON.stringify(summary, null, 2));
  } else {
    console.log('\nJobs by state');
    for (const [state, n] of Object.entries(summary.states)) console.log(`  ${state.padEnd(18)} ${String(n).padStart(7)}`);
    console.log(`  ${'rejected (DLQ)'.padEnd(18)} ${String(rejected).padStart(7)}`);
    console.log(`\n${summary.jobsPerSecond} jobs/s · ${summary.metaApiCalls} MM API calls · ${summary.sqsRequestsPerJob} SQS and ${summary.dynamodbRequestsPerJob} DynamoDB requests per job · peak RSS ${summary.peakRssMb} MB`);
  }
} finally {
  await stopAll();
}
