// Values serverless.yml derives from its params, so that one setting drives them all.
// Keep in step with lib/domain/pacing.ts (a unit test compares the two).
'use strict';

/** The send function's batchSize (SEND_BATCH_SIZE). */
const SEND_BATCH_SIZE = 100;
/** Meta's answer to a block's last send (p99 0.7 s assumed) plus an invocation's own turnaround (TURNAROUND_SECONDS). */
const TURNAROUND_SECONDS = 1;

/** The send function's maximumConcurrency for a per-phone-number rate (see maxConcurrencyFor). */
function maxConcurrencyFor(rate, batchSize = SEND_BATCH_SIZE) {
  return Math.min(1000, 2 + Math.ceil((rate * TURNAROUND_SECONDS) / batchSize));
}

module.exports = {
  SEND_BATCH_SIZE,
  maxConcurrencyFor,
  sendMaxConcurrency: async ({ resolveVariable }) => maxConcurrencyFor(Number(await resolveVariable('param:messagesPerSecond'))),
};
