/** Prints a run's figures and its targets (PASS/FAIL) as text. */
import type { Analysis } from './analyze.ts';
import { rateChart, summarizeSeconds } from './rate-chart.ts';
import { fleetCeiling } from './scenario.ts';
import type { RunResult } from './types.ts';

const n = (value: number | undefined, digits = 0) =>
  value === undefined || !Number.isFinite(value)
    ? 'n/a'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : ms >= 10_000 ? `${n(ms / 1000, 1)} s` : `${n(ms)} ms`);

export function formatRun(run: RunResult, analysis: Analysis): string {
  const lines: string[] = [];
  const o = run.options;
  lines.push(
    `=== ${run.label}: ${n(o.jobs)} jobs at a ${n(o.rate)}/s ceiling (${o.arrival} arrival, send maximumConcurrency ${run.concurrency}, log level ${o.logLevel})${run.completed ? '' : `  — INCOMPLETE: ${run.incompleteReason}`}`,
  );
  lines.push(`  duration                      ${n(run.durationSeconds, 1)} s from the first enqueue to the last webhook applied`);
  lines.push(
    `  accepted-send rate (steady)   ${n(run.sends.steadyRate, 1)}/s = ${run.sends.ofCeiling === undefined ? 'n/a' : `${n(run.sends.ofCeiling * 100, 1)} %`} of the ceiling; max ${n(run.sends.maxInAnySecond)} accepted in any 1-s window`,
  );
  lines.push(
    `  MM API calls                  ${n(run.sends.apiCalls)} (${Object.entries(run.sends.byOutcome)
      .map(([k, v]) => `${k} ${n(v)}`)
      .join(', ')}); 130429: ${n(run.sends.throttled)} = ${n(run.sends.throttledShare * 100, 3)} %`,
  );
  if (run.sends.steadySeconds && run.sends.steadySeconds.length > 0) {
    const ceiling = fleetCeiling(o);
    const seconds = summarizeSeconds(run.sends.steadySeconds, ceiling);
    lines.push(
      `  per second (steady window)    ${n(seconds.seconds)} s, median ${n(seconds.median)}; ${n(seconds.under90)} under 90 % of the ceiling (${n(0.9 * ceiling, 1)}/s); worst ${seconds.worst.map((w) => `s${w.second}: ${w.sends}`).join(', ')}`,
    );
  }
  if (run.pacing) {
    const p = run.pacing;
    lines.push(
      `  pace hand-over                ${n(p.invocations)} send invocations: hand-over p50 ${s(p.handOverMs.p50)}, p90 ${s(p.handOverMs.p90)}, p99 ${s(p.handOverMs.p99)}, max ${s(p.handOverMs.max)}; first block's lead p50 ${s(p.leadMs.p50)}, min ${s(p.leadMs.min)}; pace idle ${n(p.idle.count)} times, ${s(p.idle.totalMs)} in all (longest ${s(p.idle.maxMs)})`,
    );
  }
  for (const number of run.perNumber ?? []) {
    lines.push(
      `  number ${number.phoneNumberId}         ${n(number.steadyRate, 1)}/s = ${number.ofCeiling === undefined ? 'n/a' : `${n(number.ofCeiling * 100, 1)} %`} of its ceiling; 130429: ${n(number.throttled)} = ${n(number.throttledShare * 100, 3)} %; ${number.campaigns.map((c) => `${c.campaignId} ${n(c.accepted)} sent, ${n(c.shareInSteadyWindow * 100, 1)} % of its steady window`).join('; ')}`,
    );
  }
  const sendMetrics = Object.entries(run.metrics ?? {}).filter(([name, value]) => name.startsWith('send/') && value > 0);
  if (sendMetrics.length > 0)
    lines.push(
      `  send function's metrics       ${sendMetrics.map(([name, value]) => `${name.slice('send/'.length)} ${n(value)}`).join(', ')}`,
    );
  if (run.sends.throttled > 0) {
    const early = run.sends.timeline.slice(0, 5).reduce((sum, t) => sum + t.throttled, 0);
    const worst = [...run.sends.timeline]
      .sort((a, b) => b.throttled - a.throttled)
      .slice(0, 3)
      .filter((t) => t.throttled > 0);
    lines.push(
      `  when the 130429s came          ${n(early)} in the first 5 s; worst seconds ${worst.map((t) => `t+${t.second}s: ${t.throttled}`).join(', ')}`,
    );
  }
  lines.push(
    `  enqueue → accepted            p50 ${s(run.latency.enqueueToAcceptedMs.p50)}, p99 ${s(run.latency.enqueueToAcceptedMs.p99)} (createdAt → the simulator's arrival time)`,
  );
  lines.push(
    `  claim → accepted              p50 ${s(run.latency.claimToAcceptedMs.p50)}, p99 ${s(run.latency.claimToAcceptedMs.p99)} (job item claimedAt → acceptedAt: pacing wait + MM API latency)`,
  );
  lines.push(
    `  webhooks                      ${n(run.webhooks.posted)} posted (${n(run.webhooks.perMessage, 2)} per message), ${n(run.webhooks.failed)} given up; job states ${JSON.stringify(run.jobStates)}`,
  );
  const c = analysis.counted;
  lines.push(
    `  SDK requests (counted)        ${c.source === 'not available' ? 'worker RequestCounter: not available' : `worker RequestCounter: SQS ${n(c.sqs)}, DynamoDB ${n(c.dynamodb)}, SSM ${n(c.ssm)}`}` +
      (c.instrumentSqs !== undefined ? `; instrument: SQS ${n(c.instrumentSqs)}, DynamoDB ${n(c.instrumentDynamodb)}` : '') +
      `; producer ${JSON.stringify(run.requests.producer)}`,
  );
  if (analysis.perJob) {
    const { send, status, other } = analysis.perJob;
    lines.push(
      `  per job, send path            SQS ${n(send.sqs, 3)} (+${n(send.sqsEmptyReceives, 3)} empty receives)  DynamoDB writes ${n(send.dynamoWrites, 3)} (${n(send.writeUnits, 3)} WRU, ${n(send.conditionalFailures, 3)} refused)  reads ${n(send.dynamoReads, 3)} (${n(send.readUnits, 3)} RRU)`,
    );
    lines.push(
      `  per job, status path          SQS ${n(status.sqs, 3)} (+${n(status.sqsEmptyReceives, 3)} empty receives)  DynamoDB writes ${n(status.dynamoWrites, 3)} (${n(status.writeUnits, 3)} WRU, ${n(status.conditionalFailures, 3)} refused)  reads ${n(status.dynamoReads, 3)} (${n(status.readUnits, 3)} RRU)`,
    );
    if (other.sqs + other.dynamoWrites + other.dynamoReads > 0)
      lines.push(
        `  per job, other               SQS ${n(other.sqs, 3)}  DynamoDB writes ${n(other.dynamoWrites, 3)}  reads ${n(other.dynamoReads, 3)}`,
      );
  } else {
    lines.push('  per job by path              not available (the worker instrument wrote no report)');
  }
  const w = run.worker;
  lines.push(
    `  worker (the project's code)   ${n(w.cpuMsPer1000Jobs)} CPU ms per 1,000 jobs (${n(w.cpuMsAfterReady)} ms after ready, ${n(w.stopped?.cpuMs)} ms in all); peak RSS ${n(w.peakRssMb)} MB` +
      (analysis.logBytes
        ? `; logs ${n(analysis.logBytes.perMessage, 0)} B/message (app ${n(w.logBytes.app)} B, EMF ${n(analysis.logBytes.emf)} B, Lambda platform lines ${analysis.logBytes.platform > 0 ? `${n(analysis.logBytes.platform)} B est.` : 'none (systemLogLevel WARN)'})`
        : ''),
  );
  const usage = run.processes.steady ?? run.processes.whole;
  if (usage) {
    lines.push(
      `  CPU in the steady window      ${Object.entries(usage.percentOfCore)
        .map(([name, pct]) => `${name} ${n(pct)} %`)
        .join(
          '; ',
        )}; everything else (kernel, other processes) ${n(usage.otherPercentOfCore)} %; machine ${n(usage.machinePercent)} % of all ${'cores'}` +
        (run.machineBusyBeforePercent > 10 ? ` (the machine was already ${n(run.machineBusyBeforePercent)} % busy before the run)` : ''),
    );
    lines.push(
      `  peak RSS                      ${Object.entries(usage.peakRssMb)
        .map(([name, mb]) => `${shortProcessName(name)} ${n(mb)} MB`)
        .join(', ')}`,
    );
  }
  if (analysis.lambda.wall.length) {
    lines.push(
      `  Lambda (measured wall)        ${analysis.lambda.wall.map((f) => `${f.name} ${n(f.invocations)} × ${n(f.billedMsPerInvocation, 1)} ms @ ${f.memoryMb} MB`).join('; ')}`,
    );
    if (analysis.statusEventsPerBatch !== undefined)
      lines.push(
        `  status batches                ${n(analysis.statusEventsPerBatch, 1)} webhook events per invocation (the local event source's batchSize and batching window, from serverless.yml)`,
      );
    lines.push(
      `  Lambda (CPU-derived)          ${analysis.lambda.cpu.map((f) => `${f.name} ${n(f.billedMsPerInvocation, 2)} ms`).join('; ')} (the worker's CPU × 1769/memory MB, split by wall-time share: only the total is meaningful)`,
    );
  }
  if (run.requests.instrument) {
    const lat = run.requests.instrument.latencyMs;
    const pick = [
      'dynamodb.UpdateItem|jobs',
      'dynamodb.BatchGetItem|users',
      'dynamodb.UpdateItem|control',
      'sqs.ReceiveMessage|send',
      'sqs.SendMessageBatch|status',
      'sqs.DeleteMessageBatch|send',
    ].filter((k) => lat[k]);
    if (pick.length)
      lines.push(`  SDK latency p50/p99 (ms)      ${pick.map((k) => `${k} ${n(lat[k]!.p50, 1)}/${n(lat[k]!.p99, 1)}`).join('; ')}`);
  }
  if (analysis.cost) {
    const cost = analysis.cost[analysis.cost.headline];
    lines.push(
      `  cost per million messages (${cost.prices.region}, prices of ${cost.prices.date}; Lambda duration: ${analysis.cost.headline === 'wall' ? 'measured wall time (higher than CPU-derived)' : 'CPU-derived (higher than measured wall time)'})`,
    );
    for (const line of cost.lines) lines.push(`    ${line.item.padEnd(42)} $${line.perMillion.toFixed(3).padStart(7)}  ${line.detail}`);
    lines.push(`    ${'total (webhooks through a function URL)'.padEnd(42)} $${cost.totalWithFunctionUrl.toFixed(3).padStart(7)}`);
    lines.push(`    ${'total (webhooks through API Gateway HTTP API)'.padEnd(42)} $${cost.totalWithHttpApi.toFixed(3).padStart(7)}`);
    const other = analysis.cost[analysis.cost.headline === 'wall' ? 'cpu' : 'wall'];
    lines.push(
      `    (with the other Lambda duration model: $${other.totalWithFunctionUrl.toFixed(3)} / $${other.totalWithHttpApi.toFixed(3)}); excluded: ${cost.excluded.join('; ')}`,
    );
  }
  lines.push('  targets');
  for (const t of analysis.targets)
    lines.push(`    ${t.pass === undefined ? 'N/A ' : t.pass ? 'PASS' : 'FAIL'}  ${t.name.padEnd(48)} ${t.goal.padEnd(24)} ${t.value}`);
  if (run.sends.steadySeconds && run.sends.steadySeconds.length > 0) {
    lines.push('  sends per second in the steady window, against the ceiling');
    for (const line of rateChart(run.sends.steadySeconds, fleetCeiling(o))) lines.push(`    ${line}`);
  }
  if (w.stderrTail.some((line) => !line.startsWith('{')))
    lines.push(
      `  worker stderr (last lines):\n    ${w.stderrTail
        .filter((line) => !line.startsWith('{'))
        .slice(-8)
        .join('\n    ')}`,
    );
  return lines.join('\n');
}

export function formatTable(rows: Array<{ run: RunResult; analysis: Analysis }>): string {
  const header =
    '| ceiling | jobs | steady rate | % of ceiling | max in 1 s | 130429 | p50 / p99 enqueue→accepted | SQS/job send · status | DDB writes/job send · status | WRU/job | worker CPU ms / 1k jobs | peak RSS | $/M msgs (URL · HTTP API) |';
  const lines = tableHead(header);
  for (const { run, analysis } of rows) {
    const send = analysis.perJob?.send;
    const status = analysis.perJob?.status;
    const cost = analysis.cost ? analysis.cost[analysis.cost.headline] : undefined;
    lines.push(
      `| ${run.options.rate}/s | ${n(run.options.jobs)}${run.completed ? '' : ' (incomplete)'} | ${n(run.sends.steadyRate, 1)}/s | ${run.sends.ofCeiling === undefined ? 'n/a' : `${n(run.sends.ofCeiling * 100, 1)} %`} | ${n(run.sends.maxInAnySecond)} | ${n(run.sends.throttled)} (${n(run.sends.throttledShare * 100, 2)} %) | ${s(run.latency.enqueueToAcceptedMs.p50)} / ${s(run.latency.enqueueToAcceptedMs.p99)} | ${send ? `${n(send.sqs, 3)} · ${n(status!.sqs, 3)}` : 'n/a'} | ${send ? `${n(send.dynamoWrites, 2)} · ${n(status!.dynamoWrites, 2)}` : 'n/a'} | ${send ? n(send.writeUnits + status!.writeUnits, 2) : 'n/a'} | ${n(run.worker.cpuMsPer1000Jobs)} | ${n(run.worker.peakRssMb)} MB | ${cost ? `$${cost.totalWithFunctionUrl.toFixed(2)} · $${cost.totalWithHttpApi.toFixed(2)}` : 'n/a'} |`,
    );
  }
  return lines.join('\n');
}

/** A Markdown table's header row and the separator row under it, one `---` per column. */
export function tableHead(header: string): string[] {
  const columns = header.split('|').slice(1, -1);
  return [header, `|${columns.map(() => '---').join('|')}|`];
}

/** `worker (send, release)` → `worker (send)`; `driver: fauxqs + …` → `driver`. */
function shortProcessName(name: string): string {
  return name.startsWith('worker (') ? `worker (${name.slice('worker ('.length).split(/[,)]/)[0]})` : name.split(' ')[0]!.replace(':', '');
}
