import type { SimulatedCall } from 'mm-api-simulator';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../lib/jobs/job-record.ts';
import { FaultLedger } from '../helpers/fault-accounting.ts';
import {
  acceptedByKey,
  closeTheBooks,
  faultJob,
  harnessView,
  jobsByKey,
  quickRedelivery,
  recipients,
  settle,
  waitFor,
} from '../helpers/fault-stage.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { postWebhook, type StatusFields, statusesPayload } from '../helpers/webhook-factories.ts';

/**
 * Fault family 6: a webhook storm, more than three status events per send while the campaign
 * is being sent. The simulator posts every message's statuses out of order, half of them twice;
 * on top, "Meta" re-posts statuses in batches of up to 30: duplicates of what happened, `sent`
 * after `read`, and a contradicting `failed` (131026) for delivered messages, which must never
 * win over `delivered`. The status function must keep up, lose nothing and count each recipient
 * once.
 */
const JOBS = 150;
const harness = await startSendHarness(
  baseScenario({
    latencyMs: { min: 5, max: 40 },
    webhooks: { appSecret: 'local-app-secret', delayMs: { min: 5, max: 150 }, duplicateRate: 0.5, reorder: true, readRate: 0.6 },
    rules: [
      { name: 'fails', fraction: 0.1, async: { failWith: 131026, after: 'sent' } },
      { name: 'dropped', fraction: 0.05, drop: { after: 'sent' } },
    ],
  }),
  // A status that loses a race three times is handed back: let it come back in seconds, not 180 s.
  quickRedelivery({ statusQueue: true, requestTimeoutMs: 5_000 }),
);
const webhookUrl = harness.deployment.webhookUrl!;
harness.sim.setWebhookTarget(webhookUrl);
const { clients } = useLocalStack();
const view = harnessView(harness, clients);
const ledger = new FaultLedger('webhook-storm');

/** The extra statuses "Meta" re-posts for an accepted call, consistent with its planned fate. */
function extraStatuses(call: SimulatedCall): StatusFields[] {
  const base = { wamid: call.wamid!, recipient: call.recipient!, timestamp: Math.floor(Date.now() / 1000) };
  const plan = call.delivery!;
  if (plan.outcome === 'failed')
    return [
      { ...base, status: 'failed', errorCode: plan.failure!.code },
      { ...base, status: 'sent' },
    ];
  if (plan.outcome === 'dropped')
    return plan.drop?.afterSent
      ? [
          { ...base, status: 'sent' },
          { ...base, status: 'sent' },
        ]
      : [];
  return [
    { ...base, status: 'delivered', pricingCategory: 'marketing_lite' },
    { ...base, status: 'sent' },
    ...(plan.read ? [{ ...base, status: 'read' as const, pricingCategory: 'marketing_lite' as const }] : []),
    { ...base, status: 'failed', errorCode: 131026 },
  ];
}

describe('a webhook storm at more than three times the send rate', () => {
  it('applies every status once, in order of meaning, and keeps up', { timeout: 150_000 }, async () => {
    let pending: SimulatedCall[] = [];
    let rawStatuses = 0;
    const rawAnswers: number[] = [];
    const posts: Array<Promise<void>> = [];
    const flush = () => {
      const calls = pending;
      pending = [];
      for (let i = 0; i < calls.length; i += 8) {
        const statuses = calls.slice(i, i + 8).flatMap(extraStatuses);
        if (statuses.length === 0) continue;
        rawStatuses += statuses.length;
        posts.push(postWebhook(webhookUrl, statusesPayload(statuses)).then((answer) => void rawAnswers.push(answer.status)));
      }
    };
    const timer = setInterval(flush, 50);
    const unsubscribe = harness.sim.onCall((call) => {
      if (call.outcome === 'accepted') pending.push(call);
    });

    const jobs = recipients(70_000, JOBS).map((r) => faultJob('storm', r));
    ledger.addJobs(jobs);
    const startedAt = Date.now();
    await harness.enqueue(jobs);
    await waitFor(
      () => harness.sim.stats().byOutcome.accepted ?? 0,
      (n) => n >= JOBS,
      { timeoutMs: 60_000, what: 'every job sent' },
    );
    const sendSeconds = (Date.now() - startedAt) / 1000;
    unsubscribe();
    flush();
    clearInterval(timer);
    await Promise.all(posts);
    await harness.sim.webhooksIdle();
    await settle(view, ledger);
    // Each job ends in the state its message's planned fate implies (statuses may still be arriving).
    const accepted = acceptedByKey(harness.sim.calls());
    const mismatches = (jobs: Map<string, JobRecord>) =>
      [...ledger.valid.keys()].flatMap((key) => {
        const job = jobs.get(key);
        const calls = accepted.get(key) ?? [];
        const plan = calls[0]?.delivery;
        const want = !plan
          ? 'none'
          : plan.outcome === 'failed'
            ? 'failed'
            : plan.outcome === 'dropped'
              ? 'sent'
              : plan.read
                ? 'read'
                : 'delivered';
        return calls.length === 1 && job?.state === want
          ? []
          : [
              `${key}: ${job?.state} (want ${want}, ${calls.length} accepted calls${job?.lastErrorReason ? `, ${job.lastErrorReason}` : ''})`,
            ];
      });
    const settled = await waitFor(
      () => jobsByKey(view),
      (jobs) => mismatches(jobs).length === 0,
      { timeoutMs: 60_000 },
    ).catch(() => jobsByKey(view));
    expect(mismatches(settled)).toEqual([]);

    const stormEnded = Date.now();
    await waitFor(
      () => view.queueCounts('StatusQueue'),
      (c) => c.visible === 0 && c.inFlight === 0 && c.delayed === 0,
      {
        timeoutMs: 90_000,
        what: 'status queue drained',
        describe: (c) => JSON.stringify({ ...c, status: harness.deployment.sources.status?.stats() }),
      },
    );
    const drainSeconds = (Date.now() - stormEnded) / 1000;

    const stats = harness.sim.webhookStats();
    const simStatuses = harness.sim
      .webhookDeliveries()
      .filter((d) => d.kind === 'status' && d.delivered)
      .reduce((n, d) => n + d.wamids.length, 0);
    const events = simStatuses + rawStatuses;
    console.log(
      `webhook storm: ${JOBS} sends in ${sendSeconds.toFixed(1)} s, ${events} status events (${simStatuses} from the simulator incl. ${stats.duplicates} duplicates, ${rawStatuses} re-posted), status queue drained ${drainSeconds.toFixed(1)} s after the storm; status function: ${JSON.stringify(harness.deployment.sources.status?.stats())}`,
    );
    expect(events).toBeGreaterThan(3 * JOBS);
    expect(stats.failed).toBe(0);
    expect(rawAnswers.every((s) => s === 200)).toBe(true);
    expect((await view.queueCounts('StatusDeadLetterQueue')).visible).toBe(0);
    expect(drainSeconds).toBeLessThan(60);

    // Figures count recipients once, in their current state.
    const byState: Record<string, number> = {};
    for (const job of settled.values()) byState[job.state] = (byState[job.state] ?? 0) + 1;
    const figures = await harness.figures('storm');
    expect(figures.byState).toEqual(byState);
    expect(figures.uniqueAccepted).toBe(JOBS);
    expect(figures.uniqueDelivered).toBe((byState.delivered ?? 0) + (byState.read ?? 0));
  });

  it('totals: nothing lost, nothing sent twice', async () => {
    await closeTheBooks(view, ledger);
  });
});
