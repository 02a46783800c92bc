import type { CampaignFigures } from '../domain/campaign-figures.ts';
import { ALL_STATES } from '../domain/job-state.ts';

const percent = (rate: number | undefined) => (rate === undefined ? 'n/a' : `${(rate * 100).toFixed(1)} %`);
const row = (label: string, value: number | string) => `  ${label.padEnd(28)} ${String(value).padStart(9)}`;

/** The campaign figures as the report command and `npm start` print them. */
export function formatFigures(campaignId: string, figures: CampaignFigures): string {
  const lines = [`Campaign ${campaignId}`, '', 'Recipients by current state'];
  for (const state of ALL_STATES) {
    const n = figures.byState[state];
    if (n) lines.push(row(state, n));
  }
  for (const [code, n] of Object.entries(figures.failedByCode).sort()) lines.push(row(`  failed with ${code}`, n));
  if (figures.rejected) lines.push(row('rejected as invalid (DLQ)', figures.rejected));
  lines.push(
    '',
    'Delivery (unique recipients; retries excluded)',
    row('accepted by Meta', figures.uniqueAccepted),
    row('delivered or read', figures.uniqueDelivered),
    row('delivery rate', percent(figures.deliveryRate)),
    '',
    'Retries (reported on their own)',
    row('retries scheduled', figures.retries.scheduled),
    row('accepted on a retry', figures.retries.acceptedOnRetry),
    row('delivered after a retry', figures.retries.deliveredAfterRetry),
    row('131049 per-user limit hits', figures.perUserLimitHits),
    row('deferred before sending', figures.deferredBeforeSending),
  );
  return lines.join('\n');
}
