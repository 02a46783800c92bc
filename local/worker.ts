/**
 * The service's functions in a process of their own: a child process that the benchmark and
 * the fault suite start next to the local stack, measure (CPU, memory) and kill (SIGKILL in the
 * middle of a batch), the way Lambda's runtime dies.
 *
 *   LOCAL_SQS_ENDPOINT=… LOCAL_DYNAMODB_ENDPOINT=… LOCAL_SSM_ENDPOINT=… \
 *   WORKER_STAGE=bench WORKER_META_BASE_URL=http://127.0.0.1:4010 [WORKER_ENV='{"K":"V"}'] \
 *   node local/worker.ts
 *
 * Optional: WORKER_RESOURCE_OVERRIDES (JSON, as deployLocally's resourceOverrides), WORKER_PARAMS
 * (JSON: stage parameters over serverless.yml's defaults, as deployLocally's params),
 * WORKER_CONCURRENCY, WORKER_FUNCTION_TIMEOUT_MS, WORKER_BATCHING_WINDOW_SECONDS (as
 * deployLocally's maximumBatchingWindowSeconds; default: serverless.yml's windows),
 * WORKER_FUNCTIONS (comma-separated: send, release, status, webhook, feeder, countJobChanges; default all),
 * WORKER_CAMPAIGN_TICK_MS (run the campaign ticker this often, as EventBridge runs it every minute;
 * default: not at all).
 *
 * Prints one JSON line `{"ready":true,"webhookUrl":…}` when its pollers run; on SIGTERM it
 * stops receiving, finishes what is in flight, prints
 * `{"stopped":true,"cpuMs":…,"maxRssMb":…,"requests":{"sqs.SendMessageCommand":…},"eventSources":{"status":{"invocations":…}}}`
 * (the event sources' counters: invocations, records per batch, handler time), with the campaign
 * functions' own requests apart (`requestsByFunction`: campaigns, feeder) and the ticks it ran
 * (`campaignTicks`: count and summed wall time), and exits.
 */
import { connectLocalStack, RequestCounter } from 'lambda-local-kit';
import { deployLocally, LOCAL_FUNCTION_NAMES, type LocalFunctionName } from './deployment.ts';

const stage = process.env.WORKER_STAGE;
const metaBaseUrl = process.env.WORKER_META_BASE_URL;
if (!stage || !metaBaseUrl) {
  console.error('WORKER_STAGE and WORKER_META_BASE_URL are required');
  process.exit(2);
}
const functions = process.env.WORKER_FUNCTIONS?.split(',').map((name) => name.trim());
const unknownFunction = functions?.find((name) => !LOCAL_FUNCTION_NAMES.includes(name as LocalFunctionName));
if (unknownFunction !== undefined) {
  console.error(`WORKER_FUNCTIONS: unknown function ${JSON.stringify(unknownFunction)} (known: ${LOCAL_FUNCTION_NAMES.join(', ')})`);
  process.exit(2);
}
const env = process.env.WORKER_ENV ? (JSON.parse(process.env.WORKER_ENV) as Record<string, string>) : {};
const { endpoints } = connectLocalStack();
const requestCounter = new RequestCounter();
// The ticker and the feeder run beside each other in a campaign: their own requests are counted apart too.
const functionRequestCounters = { campaigns: new RequestCounter(), feeder: new RequestCounter() };
const tickEveryMs = process.env.WORKER_CAMPAIGN_TICK_MS ? Number(process.env.WORKER_CAMPAIGN_TICK_MS) : undefined;
const deployment = await deployLocally({
  endpoints,
  metaBaseUrl,
  stage,
  env,
  requestCounter,
  functionRequestCounters,
  ...(tickEveryMs ? { campaignTickEveryMs: tickEveryMs } : {}),
  ...(functions ? { functions: functions as LocalFunctionName[] } : {}),
  ...(process.env.WORKER_RESOURCE_OVERRIDES
    ? { resourceOverrides: JSON.parse(process.env.WORKER_RESOURCE_OVERRIDES) as Record<string, Record<string, unknown>> }
    : {}),
  ...(process.env.WORKER_PARAMS ? { params: JSON.parse(process.env.WORKER_PARAMS) as Record<string, string> } : {}),
  ...(process.env.WORKER_CONCURRENCY ? { maximumConcurrency: Number(process.env.WORKER_CONCURRENCY) } : {}),
  ...(process.env.WORKER_FUNCTION_TIMEOUT_MS ? { functionTimeoutMs: Number(process.env.WORKER_FUNCTION_TIMEOUT_MS) } : {}),
  ...(process.env.WORKER_BATCHING_WINDOW_SECONDS
    ? { maximumBatchingWindowSeconds: Number(process.env.WORKER_BATCHING_WINDOW_SECONDS) }
    : {}),
});
console.log(JSON.stringify({ ready: true, webhookUrl: deployment.webhookUrl, pid: process.pid }));

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void deployment.stop().then(() => {
    const cpu = process.cpuUsage();
    const eventSources = Object.fromEntries(Object.entries(deployment.sources).map(([name, source]) => [name, source.stats()]));
    console.log(
      JSON.stringify({
        stopped: true,
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        requests: requestCounter.byCommand(),
        requestsByFunction: Object.fromEntries(
          Object.entries(functionRequestCounters).map(([name, counter]) => [name, counter.byCommand()]),
        ),
        campaignTicks: deployment.campaignTicks(),
        eventSources,
      }),
    );
    process.exit(0);
  });
});
