/** What the benchmark sends: one phone number at the ceiling, one template, distinct recipients. */
import type { ScenarioInput } from 'mm-api-simulator';
import type { BenchTarget, JobBatch } from './target.ts';
import type { RunOptions } from './types.ts';

/** The business phone number every job sends from (the first of several when a run has more). */
export const PHONE_NUMBER_ID = '100000000000001';

/** The i-th (0-based) phone number of a run: 100000000000001, …002, …003 (the target serves these under one account). */
export function phoneNumberIdOf(index: number): string {
  return String(100_000_000_000_001 + index);
}

/** The phone numbers a run sends from: 1 in runs from before there could be more. */
export function numbersOf(options: Pick<RunOptions, 'numbers'>): number {
  return options.numbers ?? 1;
}

/** What the whole run may send: every number at its ceiling. */
export function fleetCeiling(options: Pick<RunOptions, 'rate' | 'numbers'>): number {
  return options.rate * numbersOf(options);
}

/** A campaign of a run: its number, its jobs, and where its recipients' numbers start. */
export interface BenchCampaign {
  campaignId: string;
  phoneNumberId: string;
  jobs: number;
  firstRecipient: number;
}

/** Recipients of different campaigns are this far apart (8 digits after +49151). */
const RECIPIENTS_PER_CAMPAIGN = 20_000_000;

/**
 * The campaigns of a run: one on one number; with several numbers, `jobs` split evenly between
 * them, one campaign per number except the second, which two campaigns share half and half.
 */
export function benchCampaigns(baseId: string, jobs: number, numbers: number): BenchCampaign[] {
  if (numbers <= 1) return [{ campaignId: baseId, phoneNumberId: PHONE_NUMBER_ID, jobs, firstRecipient: 0 }];
  const perNumber = Math.floor(jobs / numbers);
  const layout = Array.from({ length: numbers }, (_, i) =>
    i === 1
      ? [
          { suffix: 'n2a', number: i, jobs: Math.floor(perNumber / 2) },
          { suffix: 'n2b', number: i, jobs: perNumber - Math.floor(perNumber / 2) },
        ]
      : [{ suffix: `n${i + 1}`, number: i, jobs: perNumber }],
  ).flat();
  return layout.map((c, index) => ({
    campaignId: `${baseId}-${c.suffix}`,
    phoneNumberId: phoneNumberIdOf(c.number),
    jobs: c.jobs,
    firstRecipient: index * RECIPIENTS_PER_CAMPAIGN,
  }));
}
/** The one approved template every job sends: one body parameter, English (US). */
export const TEMPLATE = 'bench_offer';

/** The run's phone numbers at the ceiling each, the benchmark's template, webhooks on, no injected errors. */
export function benchScenario(
  options: Pick<RunOptions, 'rate' | 'numbers' | 'latencyMs' | 'readRate' | 'statusGapMs'>,
  credentials: BenchTarget['metaCredentials'],
): ScenarioInput {
  const numbers = numbersOf(options);
  return {
    description: `benchmark: ${numbers === 1 ? 'one number' : `${numbers} numbers`} at the ceiling, no injected errors`,
    tokens: [credentials.accessToken],
    phoneNumbers: Array.from({ length: numbers }, (_, i) => ({
      id: phoneNumberIdOf(i),
      ratePerSecond: options.rate,
      displayPhoneNumber: `+1555000111${i + 1}`,
    })),
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
export function benchJobBatch(input: {
  campaignId: string;
  phoneNumberId?: string;
  from: number;
  count: number;
  createdAt: number;
}): JobBatch {
  const { campaignId, from, count, createdAt } = input;
  return {
    campaignId,
    createdAt,
    phoneNumberId: input.phoneNumberId ?? PHONE_NUMBER_ID,
    template: { name: TEMPLATE, languageCode: 'en_US' },
    recipients: Array.from({ length: count }, (_, k) => ({
      phone: `+49151${String(from + k).padStart(8, '0')}`,
      bodyText: `Customer ${from + k}`,
    })),
  };
}
