// Values serverless.yml derives from its params, so that one setting drives them all.
// Keep in step with lib/domain/pacing.ts (a unit test compares the two).
'use strict';

/** Seconds of send times one send batch holds (BATCH_SECONDS). */
const BATCH_SECONDS = 2.5;
/** The hand-over the rest of the fleet must cover (TURNAROUND_SECONDS). */
const TURNAROUND_SECONDS = 2.5;

/** The send function's batchSize for the fleet's rate (see sendBatchSizeFor). */
function sendBatchSizeFor(rate) {
  return Math.min(1000, Math.max(10, Math.ceil((rate * BATCH_SECONDS) / 10) * 10));
}

/** The send function's maximumConcurrency for the fleet's rate (see maxConcurrencyFor). */
function maxConcurrencyFor(rate, batchSize = sendBatchSizeFor(rate)) {
  return Math.min(1000, 2 + Math.ceil((rate * TURNAROUND_SECONDS) / batchSize));
}

/** The fleet's rate: every number that sends at once, each at messagesPerSecond. */
const rateParam = async ({ resolveVariable }) =>
  Number(await resolveVariable('param:messagesPerSecond')) * Number(await resolveVariable('param:sendingNumbers'));

module.exports = {
  sendBatchSizeFor,
  maxConcurrencyFor,
  sendBatchSize: async (context) => sendBatchSizeFor(await rateParam(context)),
  sendMaxConcurrency: async (context) => maxConcurrencyFor(await rateParam(context)),
};
