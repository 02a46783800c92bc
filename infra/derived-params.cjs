// Values serverless.yml derives from its params, so that one setting drives them all.
// Keep in step with lib/domain/pacing.ts (a unit test compares the two).
'use strict';

/** The send function's maximumConcurrency for a per-phone-number rate (see maxConcurrencyFor). */
function maxConcurrencyFor(rate) {
  return Math.min(1000, Math.max(2, Math.ceil(rate / 20) + 2));
}

module.exports = {
  maxConcurrencyFor,
  sendMaxConcurrency: async ({ resolveVariable }) => maxConcurrencyFor(Number(await resolveVariable('param:messagesPerSecond'))),
};
