/**
 * npm run demo:jobs: the upstream-producer story: a sample campaign enqueued job by job through the real handlers on the local stack.
 *
 *   npm run demo:jobs [-- --jobs 1000] [--json] [--rate 80] [--concurrency N] [--scenario file.json]
 *
 * Starts DynamoDB Local, fauxqs, the SSM stand-in and the MM API simulator (all on 127.0.0.1),
 * "deploys" the service onto them from serverless.yml, and enqueues the campaign. The simulator
 * answers like Meta and posts signed status webhooks to the webhook function; some recipients
 * hit the per-user limit and are retried, some opt out, some messages are silently dropped.
 * It shows progress, then fast-forwards the clock past the validity to let the sweep count
 * the dropped ones, prints the campaign figures, and stops everything it started.
 */
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { queueOf, tableOf } from 'lambda-local-kit';
import { createCampaignCounters } from '../lib/adapters/dynamodb/campaign-counters.ts';
import { PREFERENCE_PREFIX, preferencesOf } from '../lib/adapters/dynamodb/user-store.ts';
import { type CampaignFigures, campaignFigures } from '../lib/domain/campaign-figures.ts';
import { enqueuePrepared, prepareJobs } from '../lib/producer.ts';
import { formatFigures } from '../lib/report/format-figures.ts';
import { DEMO_BLOCKED_COUNTRIES, demoCampaign } from './demo-campaign.ts';
import { DEMO_ENV, DEMO_SCENARIO, startDemoStack } from './demo-stack.ts';
import { deployLocally, type LocalDeployment } from './deployment.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    scenario: { type: 'string', default: DEMO_SCENARIO },
    rate: { type: 'string' },
  },
});
const size = Number(values.jobs);
if (!Number.isInteger(size) || size < 10 || size > 1_000_000) {
  console.error('--jobs must be a whole number from 10 to 1,000,000');
  process.exit(2);
}
const say = (line: string) => {
  if (!values.json) console.log(line);
};

const started = performance.now();
say('starting the local stack (DynamoDB Local, fauxqs, SSM stand-in) and the MM API simulator…');
const demo = await startDemoStack({ scenario: values.scenario, rate: values.rate });
const { sim, clients, counter, stack } = demo;
let deployment: LocalDeployment | undefined;
let clockOffset = 0;

try {
  deployment = await deployLocally({
    endpoints: stack.endpoints,
    metaBaseUrl: sim.url,
    stage: 'local',
    requestCounter: counter,
    now: () => Date.now() + clockOffset,
    ...(values.concurrency ? { maximumConcurrency: Number(values.concurrency) } : {}),
    env: DEMO_ENV,
  });
  demo.track(deployment);
  sim.setWebhookTarget(deployment.webhookUrl);
  const sendQueue = queueOf(deployment.resources, 'SendQueue');
  const queueDepth = async (logicalId: string) => {
    const { Attributes: a = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueOf(deployment!.resources, logicalId).url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
  };

  const campaign = demoCampaign(size);
  const prepared = prepareJobs(campaign.jobs, { blockedCountries: DEMO_BLOCKED_COUNTRIES, blockedPrefixes: [] });

  // Some of the audience pressed WhatsApp's Stop before this campaign: the webhooks have
  // told the sender already, so their jobs end `suppressed` without an API call.
  const stoppedEarlier = campaign.jobs.filter((_, i) => i % 250 === 17).map((job) => job.recipient);
  for (const recipient of stoppedEarlier) await sim.emitUserPreference(recipient.replace('+', ''), 'stop');
  await sim.webhooksIdle();
  while ((await queueDepth('StatusQueue')) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  say(`${stoppedEarlier.length} recipients had pressed Stop before the campaign (user_preferences webhooks)`);

  say(
    `campaign ${campaign.campaignId}: ${prepared.valid.length} valid jobs + ${campaign.invalidBodies.length} invalid ones from a careless upstream`,
  );
  const enqueueStarted = performance.now();
  const report = await enqueuePrepared(clients.sqs, sendQueue.url, prepared.valid);
  for (const body of campaign.invalidBodies) await clients.sqs.send(new SendMessageCommand({ QueueUrl: sendQueue.url, MessageBody: body }));
  if (report.failed.length > 0) throw new Error(`${report.failed.length} jobs could not be enqueued`);

  const counters = createCampaignCounters(clients.documents, {
    tableName: tableOf(deployment.resources, 'CampaignsTable').name,
    shards: 10,
  });
  const figuresNow = async () => campaignFigures(await counters.read(campaign.campaignId));
  const count = (f: CampaignFigures, ...states: string[]) =>
    states.reduce((sum, s) => sum + (f.byState[s as keyof CampaignFigures['byState']] ?? 0), 0);

  // Settled: every job counted in a state, none waiting for a retry, no webhook or status
  // event still on its way, and nothing changed since the last look.
  let figures = await figuresNow();
  let previous = '';
  let lastChange = performance.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    figures = await figuresNow();
    const rejected = await queueDepth('SendDeadLetterQueue');
    const counted = Object.values(figures.byState).reduce((a, b) => a + (b ?? 0), 0);
    const waiting = count(figures, 'retry_wait', 'deferred');
    const webhooks = sim.webhookStats();
    const elapsed = (performance.now() - enqueueStarted) / 1000;
    say(
      `  ${elapsed.toFixed(0).padStart(4)} s  delivered ${count(figures, 'delivered', 'read')}  awaiting status ${count(figures, 'accepted', 'sent')}` +
        `  retrying ${waiting}  failed ${count(figures, 'failed', 'limit_exhausted', 'unknown')}  suppressed ${count(figures, 'suppressed')}` +
        `  expired ${count(figures, 'expired')}  rejected ${rejected}/${campaign.invalidBodies.length}  · MM API calls ${sim.stats().total}  webhooks ${webhooks.delivered}`,
    );
    const fingerprint = JSON.stringify([figures, rejected]);
    if (fingerprint !== previous) lastChange = performance.now();
    previous = fingerprint;
    const quiet = webhooks.pending === 0 && (await queueDepth('StatusQueue')) === 0 && (await queueDepth('SendQueue')) === 0;
    if (
      counted === prepared.valid.length &&
      waiting === 0 &&
      rejected === campaign.invalidBodies.length &&
      quiet &&
      performance.now() - lastChange > 1_500
    )
      break;
    if (performance.now() - lastChange > 120_000) {
      console.error('no progress for 120 s: stopping early; the figures below show where the jobs are');
      process.exitCode = 1;
      break;
    }
  }
  const sendSeconds = (performance.now() - enqueueStarted) / 1000;

  // Meta says nothing about messages it could not deliver in time: after the validity (24 h
  // here) the scheduled sweep counts them as dropped. Jump the clock there and run it once.
  clockOffset = 25 * 3_600_000;
  const sweep = await deployment.sweep();
  clockOffset = 0;
  say(`\nfast-forwarded 25 h: the sweep found ${sweep.dropped} accepted message(s) never delivered within their validity → dropped\n`);
  figures = await figuresNow();

  const optOuts = await countOptOuts(tableOf(deployment.resources, 'UsersTable').name);
  const performanceFigures = {
    jobs: size,
    seconds: Number(sendSeconds.toFixed(2)),
    jobsPerSecond: Number((prepared.valid.length / sendSeconds).toFixed(1)),
    metaApiCalls: sim.stats().total,
    webhooksDelivered: sim.webhookStats().delivered,
    sqsRequestsPerJob: Number((counter.total('sqs') / size).toFixed(3)),
    dynamodbRequestsPerJob: Number((counter.total('dynamodb') / size).toFixed(3)),
    requests: counter.byCommand(),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  if (values.json) {
    console.log(JSON.stringify({ campaignId: campaign.campaignId, figures, optOuts, performance: performanceFigures }, null, 2));
  } else {
    console.log(formatFigures(campaign.campaignId, figures));
    const unattributed = campaign.invalidBodies.length - figures.rejected;
    console.log(
      `\nSend DLQ: ${campaign.invalidBodies.length} invalid jobs with their reasons${unattributed > 0 ? ` (${unattributed} without a readable campaign id, so not in the campaign's figures)` : ''}`,
    );
    console.log(
      `\nUsers opted out of marketing: ${
        Object.entries(optOuts)
          .map(([source, n]) => `${n} via ${source}`)
          .join(', ') || 'none'
      }`,
    );
    console.log(
      `\n${performanceFigures.jobsPerSecond} jobs/s · ${performanceFigures.metaApiCalls} MM API calls · ${performanceFigures.webhooksDelivered} webhooks · ` +
        `${performanceFigures.sqsRequestsPerJob} SQS and ${performanceFigures.dynamodbRequestsPerJob} DynamoDB requests per job (send, webhook and status paths) · peak RSS ${performanceFigures.peakRssMb} MB`,
    );
    console.log('The 131049 retry wait is 8 s here instead of 24 h (PER_USER_LIMIT_DELAY_SECONDS), for the demo only.');
  }
} finally {
  await demo.stop();
}

/** Opt-outs (per user and account) by source (a local scan: fine for a demo table, never for production). */
async function countOptOuts(tableName: string): Promise<Record<string, number>> {
  const bySource: Record<string, number> = {};
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const choices = String(item.recipient).startsWith(PREFERENCE_PREFIX) ? Object.values(preferencesOf(item)) : [];
      for (const { optedOut, source } of choices) if (optedOut) bySource[source] = (bySource[source] ?? 0) + 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return bySource;
}
