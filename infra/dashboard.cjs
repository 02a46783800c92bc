// The operations dashboard's body (infra/dashboard.yml), built here rather than written out as
// JSON: CloudFormation takes the body as one string, and its rows repeat the same shapes (one
// line per DLQ, per function, per outcome) that a list says once. docs/operations.md#dashboard
// describes the rows; test/package/dashboard.test.ts checks every metric it names against the code.
'use strict';

const NAMESPACE = 'WaMarketingSender';
const WIDTH = 24;
const HEIGHT = 6;

/** A metric of this service: namespace, name, then its dimensions as CloudWatch lists them. */
function ours(service, fn, name, options = {}) {
  return [NAMESPACE, name, 'service', service, 'function', fn, options];
}

/**
 * One metrics entry: every series of a metric that has one more dimension (a phone number, an error code, a
 * campaign, a reason), as a SEARCH over exactly the metric's dimension set.
 */
function search(id, { name, dimension, stat, divideBy, label }) {
  const expression = `SEARCH('{${NAMESPACE},${dimension},function,service} MetricName="${name}"', '${stat}', 60)`;
  return [{ id, expression: divideBy ? `${expression}/${divideBy}` : expression, label: label ?? '' }];
}

function graph(title, metrics, { region, stat = 'Sum', period = 60, yLabel } = {}) {
  return {
    type: 'metric',
    width: WIDTH / 2,
    height: HEIGHT,
    properties: {
      title,
      region,
      view: 'timeSeries',
      stacked: false,
      stat,
      period,
      metrics,
      ...(yLabel ? { yAxis: { left: { label: yLabel, showUnits: false } } } : {}),
    },
  };
}

function rows({ service, stage, region }) {
  const prefix = `${service}-${stage}`;
  const on = { region };
  const queue = (name) => `${prefix}-${name}`;
  return [
    graph(
      'Sends per second per phone number, against its ceiling',
      [
        search('sends', { name: 'NumberSends', dimension: 'phoneNumberId', stat: 'Sum', divideBy: 60 }),
        search('ceiling', { name: 'NumberRateCeiling', dimension: 'phoneNumberId', stat: 'Maximum', label: 'ceiling' }),
      ],
      { ...on, yLabel: 'messages/s' },
    ),
    graph(
      '130429 (throughput) per phone number, and the fleet slowing down',
      [
        search('throttled', { name: 'NumberThrottled', dimension: 'phoneNumberId', stat: 'Sum' }),
        ours(service, 'send', 'PaceReductions', { label: 'pace reductions' }),
      ],
      on,
    ),
    graph(
      'Breakers: open per phone number (1), jobs held, stops and closes',
      [
        search('open', { name: 'NumberBreakerOpen', dimension: 'phoneNumberId', stat: 'Maximum' }),
        ours(service, 'send', 'JobsHeld', { label: 'jobs held', yAxis: 'right' }),
        ours(service, 'send', 'PhoneNumberStopped', { label: 'numbers stopped' }),
        ours(service, 'send', 'BreakersClosed', { label: 'breakers closed' }),
      ],
      on,
    ),
    graph(
      'Jobs accepted, delivered, read, failed',
      [
        ours(service, 'send', 'JobsAccepted', { label: 'accepted' }),
        [NAMESPACE, 'JobsDelivered', 'service', service, 'function', 'countJobChanges', { label: 'delivered' }],
        [NAMESPACE, 'JobsRead', 'service', service, 'function', 'countJobChanges', { label: 'read' }],
        ours(service, 'send', 'JobsFailed', { label: 'failed at the send' }),
      ],
      { ...on, period: 300 },
    ),
    graph('Failed jobs by error code', [search('failed', { name: 'JobsFailedByCode', dimension: 'errorCode', stat: 'Sum' })], {
      ...on,
      period: 300,
    }),
    graph(
      '131049 hits (per-user marketing limit)',
      [
        ours(service, 'send', 'PerUserLimitHits', { label: 'answered to the send' }),
        ours(service, 'status', 'PerUserLimitHits', { label: 'in webhooks' }),
      ],
      { ...on, period: 300 },
    ),
    graph(
      'Unknown outcomes, and how they settled',
      [
        ours(service, 'send', 'JobsUnknown', { label: 'unknown' }),
        ours(service, 'status', 'UnknownReconciledByCallbackData', { label: 'settled by callback data' }),
        ours(service, 'status', 'UnknownReconciledByRecipientTime', { label: 'settled by recipient and time' }),
        ours(service, 'sweep', 'UnknownJobsResent', { label: 're-sent' }),
      ],
      { ...on, period: 300 },
    ),
    graph(
      'Status lag: oldest webhook event waiting, figures behind the jobs',
      [
        ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queue('status'), { label: 'status queue (s)' }],
        ['AWS/Lambda', 'IteratorAge', 'FunctionName', `${prefix}-countJobChanges`, { label: 'counting (ms)', yAxis: 'right' }],
      ],
      { ...on, stat: 'Maximum' },
    ),
    graph(
      'Dead-letter queue depths',
      ['send-dlq', 'deferred-dlq', 'status-dlq', 'feed-dlq', 'counts-dlq'].map((name) => [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        queue(name),
        { label: name },
      ]),
      { ...on, stat: 'Maximum' },
    ),
    graph(
      'Webhook refusals',
      [
        ...['WebhookSignatureInvalid', 'WebhookSignatureMissing', 'WebhookPayloadInvalid', 'WebhookPayloadTooLarge'].map((name) =>
          ours(service, 'webhook', name, { label: name.replace('Webhook', '') }),
        ),
        search('unserved', { name: 'UnservedWebhookEvents', dimension: 'reason', stat: 'Sum' }),
      ],
      { ...on, period: 300 },
    ),
    graph(
      'Campaign progress (% of rows with an outcome)',
      [search('progress', { name: 'CampaignProgressPercent', dimension: 'campaignId', stat: 'Maximum' })],
      {
        ...on,
        period: 300,
        yLabel: '%',
      },
    ),
    graph(
      'Campaigns launched, stalled, failed',
      [
        ours(service, 'campaigns', 'CampaignsLaunched', { label: 'launched' }),
        ours(service, 'campaigns', 'CampaignsStalled', { label: 'stalled (per tick)' }),
        ours(service, 'campaigns', 'CampaignsFailed', { label: 'failed' }),
      ],
      { ...on, period: 300 },
    ),
  ];
}

function header(stage) {
  return {
    type: 'text',
    width: WIDTH,
    height: 2,
    properties: {
      markdown:
        `## wa-marketing-sender · ${stage}\n` +
        'Each row and alarm is explained in docs/operations.md (headings "Dashboard" and "Alarms"); ' +
        'every step of the runbook is also a command: `npm run ops` (docs/ops-command.md).',
    },
  };
}

/** The widgets in rows of two under the header, placed explicitly so the layout is stable. */
function dashboard(names) {
  const placed = rows(names).map((widget, index) => ({ ...widget, x: (index % 2) * (WIDTH / 2), y: 2 + Math.floor(index / 2) * HEIGHT }));
  return { widgets: [{ ...header(names.stage), x: 0, y: 0 }, ...placed] };
}

module.exports = {
  dashboard,
  body: async ({ resolveVariable }) =>
    JSON.stringify(
      dashboard({
        service: await resolveVariable('self:service'),
        stage: await resolveVariable('sls:stage'),
        region: await resolveVariable('self:provider.region'),
      }),
    ),
};
