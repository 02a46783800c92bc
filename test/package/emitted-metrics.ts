/**
 * Where the code emits each metric of this service that the dashboard or an alarm names: the
 * function (the `function` dimension), the dimension names it is written with, and the source
 * text that writes it. The package test holds every metric the template names against this list,
 * and this list against the sources (each `evidence` text must be in its file), so a renamed
 * metric or dimension in either place fails. Names built at run time (`Jobs${state}`,
 * `Campaigns${status}`) are listed with the text that builds them; the integration tests
 * `number-metrics`, `campaign-stalled` and `counts-exactly-once` read the EMF lines the functions
 * print and check the dimensions of the metrics with one of their own.
 */
export interface EmittedMetric {
  name: string;
  function: string;
  /** Every dimension name, `service` and `function` included, sorted. */
  dimensions: string[];
  /** Source files (from the repository root) and a text each must contain. */
  evidence: Array<[file: string, text: string]>;
}

const BASE = ['function', 'service'];
const withDimension = (name: string) => [...BASE, name].sort();

const emitted = (name: string, fn: string, evidence: Array<[string, string]>, dimensions = BASE): EmittedMetric => ({
  name,
  function: fn,
  dimensions,
  evidence,
});

/** A metric a file names literally, as `'Name'`. */
const literal = (name: string, fn: string, file: string) => emitted(name, fn, [[file, `'${name}'`]]);

/** A metric a file names literally, written with one more dimension that `dimensionFile` names (and adds). */
const withOwnDimension = (
  name: string,
  fn: string,
  { file, dimension, dimensionFile = file }: { file: string; dimension: string; dimensionFile?: string },
) =>
  emitted(
    name,
    fn,
    [
      [file, `'${name}'`],
      [dimensionFile, `'${dimension}'`],
    ],
    withDimension(dimension),
  );

export const EMITTED_METRICS: EmittedMetric[] = [
  // send
  ...(
    [
      ['NumberSends', 'lib/send/send-record.ts'],
      ['NumberThrottled', 'lib/send/send-record.ts'],
      ['NumberJobsHeld', 'lib/send/fleet-controls.ts'],
      ['NumberRateCeiling', 'lib/send/number-metrics.ts'],
      ['NumberBreakerOpen', 'lib/send/number-metrics.ts'],
    ] as const
  ).map(([name, file]) =>
    withOwnDimension(name, 'send', { file, dimension: 'phoneNumberId', dimensionFile: 'lib/send/number-metrics.ts' }),
  ),
  literal('PaceReductions', 'send', 'lib/send/fleet-controls.ts'),
  literal('JobsHeld', 'send', 'lib/send/fleet-controls.ts'),
  literal('PhoneNumberStopped', 'send', 'lib/send/fleet-controls.ts'),
  literal('BreakersClosed', 'send', 'lib/send/fleet-controls.ts'),
  literal('JobsAccepted', 'send', 'lib/send/settle-job.ts'),
  literal('PerUserLimitHits', 'send', 'lib/send/settle-job.ts'),
  literal('MetaApiCalls', 'send', 'lib/send/send-record.ts'),
  // The final states' metrics: `Jobs` and the state, capitalised (JobsFailed, JobsUnknown…).
  emitted('JobsFailed', 'send', [['lib/send/settle-job.ts', '`Jobs${decision.state === JOB_STATES.limitExhausted']]),
  emitted('JobsUnknown', 'send', [['lib/send/settle-job.ts', '`Jobs${decision.state === JOB_STATES.limitExhausted']]),
  // status
  literal('PerUserLimitHits', 'status', 'lib/status/apply-status.ts'),
  literal('UnknownReconciledByCallbackData', 'status', 'lib/status/reconcile-unknown.ts'),
  literal('UnknownReconciledByRecipientTime', 'status', 'lib/status/reconcile-unknown.ts'),
  emitted('CampaignsFailed', 'status', [['lib/status/apply-event.ts', '`Campaigns${to[0]}${to.slice(1).toLowerCase()}`']]),
  // countJobChanges
  literal('JobsDelivered', 'countJobChanges', 'lib/counts/count-stream-batch.ts'),
  literal('JobsRead', 'countJobChanges', 'lib/counts/count-stream-batch.ts'),
  withOwnDimension('JobsFailedByCode', 'countJobChanges', { file: 'lib/counts/count-stream-batch.ts', dimension: 'errorCode' }),
  // sweep
  literal('UnknownJobsResent', 'sweep', 'lib/sweep/sweep-unknown.ts'),
  // webhook
  literal('WebhookSignatureInvalid', 'webhook', 'lib/webhook/webhook-metrics.ts'),
  literal('WebhookSignatureMissing', 'webhook', 'lib/webhook/webhook-metrics.ts'),
  literal('WebhookPayloadInvalid', 'webhook', 'lib/webhook/webhook-metrics.ts'),
  literal('WebhookPayloadTooLarge', 'webhook', 'lib/webhook/webhook-metrics.ts'),
  withOwnDimension('UnservedWebhookEvents', 'webhook', { file: 'lib/webhook/webhook-metrics.ts', dimension: 'reason' }),
  // campaigns (the ticker) and feeder
  literal('CampaignsLaunched', 'campaigns', 'lib/campaigns/launch.ts'),
  literal('CampaignsStalled', 'campaigns', 'lib/campaigns/tick.ts'),
  literal('CampaignEditsRefused', 'campaigns', 'lib/campaigns/tick.ts'),
  withOwnDimension('CampaignProgressPercent', 'campaigns', {
    file: 'lib/campaigns/tick.ts',
    dimension: 'campaignId',
    dimensionFile: 'lib/wiring/campaigns.ts',
  }),
  emitted('CampaignsFailed', 'campaigns', [['lib/campaigns/steer.ts', '`Campaigns${to[0]}${to.slice(1).toLowerCase()}`']]),
  emitted('CampaignsFailed', 'feeder', [['lib/campaigns/steer.ts', '`Campaigns${to[0]}${to.slice(1).toLowerCase()}`']]),
];
