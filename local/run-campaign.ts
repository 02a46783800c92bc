/**
 * npm start: a campaign from an audience file, through the real handlers on the local stack.
 *
 *   npm start [-- --rows 1000] [--json] [--rate 80] [--scenario file.json]
 *
 * Starts DynamoDB Local, fauxqs (SQS and S3), the SSM stand-in and the MM API simulator, "deploys"
 * the service onto them from serverless.yml, and tells a marketer's story: a generated audience
 * file (some rows invalid, some recipients twice, some in quiet hours) and a campaign file are
 * created with `npm run campaign -- create`, the scheduler stand-in launches the campaign at its
 * second (after the preflight through the simulator's Graph API), the feeder streams the file
 * onto the send queue, the campaign is paused and resumed mid-way, and the quiet-hours recipients
 * get the message when their window opens. It then fast-forwards the clock past the validity so
 * the sweep counts what Meta silently dropped, and the ticker completes the campaign with its
 * figures. `npm run demo:jobs` tells the upstream-producer story instead.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { tableOf } from 'lambda-local-kit';
import { createCampaignCounters } from '../lib/adapters/dynamodb/campaign-counters.ts';
import { DynamoCampaignStore } from '../lib/adapters/dynamodb/campaign-store.ts';
import { createControlStore } from '../lib/adapters/dynamodb/control-store.ts';
import { createFeedTrigger } from '../lib/adapters/sqs/feed-trigger.ts';
import { COMPLETION_GRACE_MS } from '../lib/domain/campaign-progress.ts';
import { SANCTIONED_COUNTRIES } from '../lib/domain/phone.ts';
import type { CampaignRecord } from '../lib/ports/campaign-store.ts';
import { formatFigures } from '../lib/report/format-figures.ts';
import type { CampaignCliContext } from '../tools/campaign/context.ts';
import { createCampaign } from '../tools/campaign/create.ts';
import { describeCampaign } from '../tools/campaign/show.ts';
import { steerCampaign } from '../tools/campaign/steer.ts';
import { demoAudience, demoSendWindow } from './demo-audience.ts';
import { DEMO_ENV, DEMO_SCENARIO, startDemoStack } from './demo-stack.ts';
import { deployLocally, type LocalDeployment } from './deployment.ts';
import { serviceName } from './serverless-config.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
    scenario: { type: 'string', default: DEMO_SCENARIO },
    rate: { type: 'string' },
  },
});
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows < 100 || rows > 1_000_000) {
  console.error('--rows must be a whole number from 100 to 1,000,000');
  process.exit(2);
}
const say = (line: string) => {
  if (!values.json) console.log(line);
};

/** The scheduler stand-in ticks every 5 s here; on AWS the ticker runs every minute and launches at the second anyway. */
const TICK_EVERY_MS = 5_000;
const CAMPAIGN_ID = `autumn-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;

const started = performance.now();
say('starting the local stack (DynamoDB Local, fauxqs for SQS and S3, SSM stand-in) and the MM API simulator…');
const demo = await startDemoStack({ scenario: values.scenario, rate: values.rate });
const { sim, clients, counter } = demo;
const workDir = await mkdtemp(join(tmpdir(), 'campaign-demo-'));
let deployment: LocalDeployment | undefined;
let clockOffset = 0;
const now = () => Date.now() + clockOffset;

try {
  deployment = await deployLocally({
    endpoints: demo.stack.endpoints,
    metaBaseUrl: sim.url,
    stage: 'local',
    requestCounter: counter,
    now,
    // Holds of 3 s instead of 45 s, so a resumed campaign's held jobs come back at once.
    env: { ...DEMO_ENV, HOLD_SECONDS: '3', ...(values.rate ? { PHONE_NUMBER_RATE_PER_SECOND: values.rate } : {}) },
    campaignTickEveryMs: TICK_EVERY_MS,
  });
  demo.track(deployment);
  sim.setWebhookTarget(deployment.webhookUrl);
  const cli = cliContext(deployment);
  const bucket = `${serviceName()}-local-audiences`;
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));

  const audience = demoAudience(rows);
  const audienceFile = join(workDir, 'autumn.csv');
  const campaignFile = join(workDir, 'autumn.json');
  const launchAt = Math.ceil((now() + 8_000) / 1000) * 1000;
  await writeFile(audienceFile, audience.csv);
  await writeFile(campaignFile, JSON.stringify(campaignDefinition(bucket, launchAt), null, 2));
  say(
    `\nwrote an audience of ${rows} rows (${audience.planted.invalid} invalid, ${audience.planted.duplicates} listed twice, ` +
      `${audience.planted.quietHours} in quiet hours) and a campaign file; npm run campaign -- create:`,
  );
  await createCampaign({ ...cli, file: campaignFile, audienceFile });

  const story = await followCampaign(cli, { rows, launchAt });
  // Meta says nothing about messages it could not deliver in time: after the validity (24 h
  // here) the sweep counts them as dropped, and the ticker completes the campaign.
  // The sweep looks at deadlines in 15-minute buckets settled for 5 minutes; the campaign waits
  // 30 minutes past its validity for it (COMPLETION_GRACE_MS) before it completes.
  const launched = (await cli.campaigns.get(CAMPAIGN_ID))!.launch!;
  const validUntil = launched.launchedAt + launched.validitySeconds * 1000;
  clockOffset = validUntil + 25 * 60_000 - Date.now();
  const sweep = await deployment.sweep();
  clockOffset = validUntil + COMPLETION_GRACE_MS - Date.now();
  await deployment.tickCampaigns();
  const final = await cli.campaigns.get(CAMPAIGN_ID);
  clockOffset = 0;
  say(
    `\nfast-forwarded past the validity: the sweep found ${sweep.dropped} accepted message(s) never delivered within their validity → dropped`,
  );
  await report({ final, story, audience, bucket });
} finally {
  await demo.stop();
  await rm(workDir, { recursive: true, force: true });
}

/** The campaign file a marketer would write: template, audience, launch time, send window, callback data. */
function campaignDefinition(bucket: string, launchAt: number) {
  return {
    schemaVersion: 1,
    campaignId: CAMPAIGN_ID,
    phoneNumberId: '100000000000001',
    template: { name: 'autumn_sale', language: 'en_US', body: [{ column: 'first_name' }] },
    audience: { bucket, key: `${CAMPAIGN_ID}/audience.csv`, format: 'csv', recipientColumn: 'phone', timeZoneColumn: 'tz' },
    launch: { at: new Date(launchAt).toISOString() },
    sendWindow: demoSendWindow(now()),
    callbackData: '{campaignId}:{row}',
  };
}

/** The campaign commands' context, against the local deployment's tables and queues. */
function cliContext(deployed: LocalDeployment): CampaignCliContext {
  const env = deployed.campaignEnv;
  return {
    campaigns: new DynamoCampaignStore(clients.documents, { tableName: env.CAMPAIGNS_TABLE! }),
    counters: createCampaignCounters(clients.documents, { tableName: env.CAMPAIGNS_TABLE!, shards: 10 }),
    controls: createControlStore(clients.documents, { tableName: env.CONTROL_TABLE! }),
    feeds: createFeedTrigger(clients.sqs, env.FEED_QUEUE_URL!),
    s3: clients.s3,
    jobs: { doc: clients.documents, tableName: tableOf(deployed.resources, 'JobsTable').name },
    recipientPolicy: { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] },
    now,
    out: say,
  };
}

interface Story {
  launchDelayMs: number;
  pause: { sendsAtPause: number; sendsAfterSettling: number; sendsWhilePaused: number };
  sendSeconds: number;
}

/** Shows the campaign's progress every second; pauses it at 40 % of the audience and resumes it 5 s later. */
async function followCampaign(cli: CampaignCliContext, { rows, launchAt }: { rows: number; launchAt: number }): Promise<Story> {
  say(`\nthe scheduler stand-in ticks every ${TICK_EVERY_MS / 1000} s; the launch is at ${new Date(launchAt).toISOString()}`);
  let record = await waitFor(cli, (current) => current.appliedStatus !== 'SCHEDULED' && current.appliedStatus !== 'LAUNCHING');
  if (record.appliedStatus !== 'SENDING') throw new Error(`the campaign did not launch: ${record.statusReason}`);
  const launchDelayMs = record.launch!.launchedAt - launchAt;
  say(
    `launched ${launchDelayMs} ms after its time; preflight passed (template APPROVED, MARKETING, TTL ${record.launch!.templateTtlSeconds} s)`,
  );
  const sendingSince = performance.now();
  record = await waitFor(cli, (current) => (current.progress?.accepted ?? 0) >= rows * 0.4, true);
  say('\npausing mid-way: npm run campaign -- pause');
  const sendsAtPause = sim.stats().total;
  await steerCampaign({ ...cli, campaignId: CAMPAIGN_ID, action: 'pause' });
  const sendsAfterSettling = await callsSettled();
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const sendsWhilePaused = sim.stats().total - sendsAfterSettling;
  say(`  ${sendsAfterSettling - sendsAtPause} sends already in flight finished; then ${sendsWhilePaused} MM API calls in 5 s while paused`);
  say('resuming: npm run campaign -- resume');
  await steerCampaign({ ...cli, campaignId: CAMPAIGN_ID, action: 'resume' });
  await untilOnlySilentDropsWait(cli);
  return {
    launchDelayMs,
    pause: { sendsAtPause, sendsAfterSettling, sendsWhilePaused },
    sendSeconds: (performance.now() - sendingSince) / 1000,
  };
}

/**
 * Waits until the whole audience is fed and every job has its outcome except the ones Meta
 * accepted and will never report on (the scenario drops 0.5 % silently): only the sweep, after
 * the validity, can settle those.
 */
async function untilOnlySilentDropsWait(cli: CampaignCliContext): Promise<void> {
  await waitFor(cli, (current) => current.feed?.fedAt !== undefined, true);
  let previous = '';
  for (;;) {
    const counters = await cli.counters.read(CAMPAIGN_ID);
    const record = (await cli.campaigns.get(CAMPAIGN_ID))!;
    const sentAwaitingStatus = (counters.state_accepted ?? 0) + (counters.state_sent ?? 0);
    const line = progressLine(record);
    if (line === previous && (record.progress?.waiting ?? 0) <= sentAwaitingStatus && sim.webhookStats().pending === 0) return;
    if (line !== previous) say(line);
    previous = line;
    await new Promise((resolve) => setTimeout(resolve, TICK_EVERY_MS));
  }
}

/** The MM API call count once it has not moved for a second. */
async function callsSettled(): Promise<number> {
  let last = sim.stats().total;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const current = sim.stats().total;
    if (current === last) return current;
    last = current;
  }
}

/** Polls the campaign item each second (printing a progress line if asked) until `done`; gives up after 3 minutes without change. */
async function waitFor(cli: CampaignCliContext, done: (record: CampaignRecord) => boolean, print = false): Promise<CampaignRecord> {
  let previous = '';
  let lastChange = performance.now();
  for (;;) {
    const record = (await cli.campaigns.get(CAMPAIGN_ID))!;
    if (done(record)) return record;
    const line = progressLine(record);
    if (line !== previous) lastChange = performance.now();
    if (print && line !== previous) say(line);
    previous = line;
    if (performance.now() - lastChange > 180_000) throw new Error(`no progress for 3 minutes: ${describeCampaign(record).join('; ')}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function progressLine(record: CampaignRecord): string {
  const p = record.progress;
  if (!p) return `  ${record.appliedStatus ?? record.status}`;
  return (
    `  ${String(record.appliedStatus).padEnd(9)} rows ${p.rowsRead}  enqueued ${p.enqueued}  rejected ${p.rejected}  duplicates ${p.duplicates}` +
    `  accepted ${p.accepted}  delivered ${p.delivered}  read ${p.read}  failed ${p.failed}  waiting ${p.waiting}  · MM API calls ${sim.stats().total}`
  );
}

/** The campaign's final figures, the rejection report's first lines and what the run cost in requests. */
async function report(input: {
  final: CampaignRecord | undefined;
  story: Story;
  audience: ReturnType<typeof demoAudience>;
  bucket: string;
}) {
  const { final, story, audience, bucket } = input;
  if (final?.appliedStatus !== 'COMPLETED') throw new Error(`the campaign did not complete: ${JSON.stringify(final)}`);
  const figures = final.figures!;
  const rejections = await readRejections(bucket, `${CAMPAIGN_ID}/audience.csv.rejections.csv`);
  const performanceFigures = {
    rows: audience.rows,
    launchDelayMs: story.launchDelayMs,
    sendSeconds: Number(story.sendSeconds.toFixed(1)),
    metaApiCalls: sim.stats().total,
    webhooksDelivered: sim.webhookStats().delivered,
    sqsRequestsPerRow: Number((counter.total('sqs') / audience.rows).toFixed(3)),
    dynamodbRequestsPerRow: Number((counter.total('dynamodb') / audience.rows).toFixed(3)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          campaignId: CAMPAIGN_ID,
          status: final.appliedStatus,
          progress: final.progress,
          figures,
          pause: story.pause,
          rejections: rejections.length - 1,
          performance: performanceFigures,
        },
        null,
        2,
      ),
    );
    return;
  }
  console.log(`\n${describeCampaign(final).join('\n')}\n`);
  console.log(formatFigures(CAMPAIGN_ID, figures));
  console.log(
    `\nRejection report s3://${bucket}/${CAMPAIGN_ID}/audience.csv.rejections.csv (${rejections.length - 1} rows; planted: ${audience.planted.invalid} invalid, ${audience.planted.duplicates} duplicates):`,
  );
  for (const line of rejections.slice(0, 6)) console.log(`  ${line}`);
  console.log(
    `\nlaunch delay ${story.launchDelayMs} ms · ${performanceFigures.metaApiCalls} MM API calls · ${performanceFigures.webhooksDelivered} webhooks · ` +
      `${performanceFigures.sqsRequestsPerRow} SQS and ${performanceFigures.dynamodbRequestsPerRow} DynamoDB requests per row · peak RSS ${performanceFigures.peakRssMb} MB · ${performanceFigures.totalSeconds} s`,
  );
  console.log(
    'Waits are shortened for the demo (131049 retry 8 s instead of 24 h, holds 3 s instead of 45 s, a tick every 5 s instead of a minute).',
  );
}

async function readRejections(bucket: string, key: string): Promise<string[]> {
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body!.transformToString()).trimEnd().split('\n');
}
