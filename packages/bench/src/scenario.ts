/** What the benchmark sends: one phone number at the ceiling, one template, distinct recipients. */
import type { ScenarioInput } from 'mm-api-simulator';
import type { BenchTarget, JobBatch } from './target.ts';
import type { RunOptions } from './types.ts';

/** The one business phone number every job sends from. */
export const PHONE_NUMBER_ID = '100000000000001';
/** The one approved template every job sends: one body parameter, English (US). */
export const TEMPLATE = 'bench_offer';

/** One phone number at the ceiling, the benchmark's template, webhooks on, no injected errors. */
export function benchScenario(
  options: Pick<RunOptions, 'rate' | 'latencyMs' | 'readRate' | 'statusGapMs'>,
  credentials: BenchTarget['metaCredentials'],
): ScenarioInput {
  return {
    description: 'benchmark: one number at the ceiling, no injected errors',
    tokens: [credentials.accessToken],
    phoneNumbers: [{ id: PHONE_NUMBER_ID, ratePerSecond: options.rate, displayPhoneNumber: '+15550001111' }],
    templates: [{ name: TEMPLATE, category: 'MARKETING', languages: ['en_US'], bodyParams: 1, ttlSeconds: 86_400 }],
    latencyMs: options.latencyMs,
    pairRateLimit: false,
    rules: [],
    webhooks: {
      appSecret: credentials.appSecret,
      wabaId: '100000000000000',
      delayMs: options.statusGapMs,
      readRate: options.readRate,
      duplicateRate: 0,
      reorder: false,
      maxStatusesPerPost: 1,
      retry: { initialDelayMs: 500, maxAttempts: 8 },
    },
  };
}

/** Jobs `from` … `from + count - 1` of a campaign, for distinct German mobile numbers (+49151 and 8 digits). */
export function benchJobBatch(input: { campaignId: string; from: number; count: number; createdAt: number }): JobBatch {
  const { campaignId, from, count, createdAt } = input;
  return {
    campaignId,
    createdAt,
    phoneNumberId: PHONE_NUMBER_ID,
    template: { name: TEMPLATE, languageCode: 'en_US' },
    recipients: Array.from({ length: count }, (_, k) => ({
      phone: `+49151${String(from + k).padStart(8, '0')}`,
      bodyText: `Customer ${from + k}`,
    })),
  };
}
