/**
 * The MM API simulator in a process of its own, so the benchmark can measure its CPU apart from
 * fauxqs (which runs in the driver) and DynamoDB Local. Forked by simulator-child.ts with an IPC
 * channel; the scenario comes in BENCH_SIM_SCENARIO (JSON). It keeps a compact record of every
 * accepted send (recipient digits, arrival ms) and the outcomes per second, instead of the full
 * call log. Messages: see simulator-protocol.ts. Exits when the parent goes away.
 */
import { type ScenarioInput, startSimulator } from 'mm-api-simulator';
import type { SimProgress, SimReply, SimRequest, SimSummary } from './simulator-protocol.ts';

if (!process.send) {
  console.error('simulator-process.ts runs as a forked child of the benchmark');
  process.exit(2);
}

const scenario = JSON.parse(process.env.BENCH_SIM_SCENARIO ?? '{}') as ScenarioInput;
const sim = await startSimulator({ ...scenario, port: 0, host: '127.0.0.1', maxRecordedCalls: 1_000, maxRecordedWebhooks: 1_000 });
const accepted: Array<[string, number, string]> = [];
const byNumber: Record<string, Record<string, number>> = {};
const acceptedSet = new Set<string>();
let firstSecond: number | undefined;
const perSecond: Array<Record<string, number>> = [];

sim.onCall((call) => {
  const second = Math.floor(call.at / 1000);
  firstSecond ??= second;
  const index = second - firstSecond;
  if (index >= 0) {
    while (perSecond.length <= index) perSecond.push({});
    const bucket = perSecond[index]!;
    bucket[call.outcome] = (bucket[call.outcome] ?? 0) + 1;
  }
  const number = byNumber[call.phoneNumberId] ?? {};
  number[call.outcome] = (number[call.outcome] ?? 0) + 1;
  byNumber[call.phoneNumberId] = number;
  if (call.outcome === 'accepted') {
    const digits = (call.recipient ?? '').replace(/\D/g, '');
    accepted.push([digits, call.at, call.phoneNumberId]);
    acceptedSet.add(digits);
  }
});

const progress = (): SimProgress => ({ stats: sim.stats(), webhooks: sim.webhookStats(), acceptedRecipients: acceptedSet.size });

process.on('message', (raw) => {
  const request = raw as SimRequest;
  const reply = (value: unknown) => process.send!({ id: request.id, ok: true, value } satisfies SimReply);
  try {
    switch (request.type) {
      case 'webhook-target':
        sim.setWebhookTarget(request.url);
        reply(null);
        return;
      case 'progress':
        reply(progress());
        return;
      case 'summary':
        reply({
          ...progress(),
          accepted,
          byNumber,
          perSecond: { start: (firstSecond ?? 0) * 1000, outcomes: perSecond },
        } satisfies SimSummary);
        return;
      case 'stop':
        void sim.stop().then(() => {
          reply(null);
          process.disconnect?.();
          setTimeout(() => process.exit(0), 50);
        });
        return;
    }
  } catch (error) {
    process.send!({ id: request.id, ok: false, error: (error as Error).message } satisfies SimReply);
  }
});
// The parent died or closed the channel: stop, never linger.
process.on('disconnect', () => void sim.stop().finally(() => process.exit(0)));
process.send({ type: 'ready', url: sim.url, pid: process.pid });
