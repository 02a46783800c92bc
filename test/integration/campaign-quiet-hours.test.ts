import { describe, expect, it } from 'vitest';
import { floorToMinute, localMinuteOfDay, offsetAt } from '../../lib/domain/zoned-clock.ts';
import { audienceCsv, startCampaignHarness } from '../helpers/campaign-harness.ts';
import { baseScenario } from '../helpers/send-harness.ts';

/**
 * Quiet hours through the real ticker, feeder, send and release functions, with the clock moved
 * across a day boundary: a campaign with a 09:00–21:00 window in Berlin, launched at 20:59:30
 * Berlin time. The window is judged when a row is fed: rows fed before 21:00 go on the queue to be
 * sent, rows fed after it wait for 09:00 the next day (`notBefore`), and are sent, at the number's
 * pace, once the clock has passed it.
 *
 * How a waiting job comes back: the send path puts a job whose `notBefore` is more than 900 s
 * away on the deferred queue, and the release function parks it there (a visibility timeout of up
 * to 12 h, in real time) until 900 s before its time, then forwards it with a delay. Moving the
 * functions' clock does not shorten a real visibility timeout, so the release function's clock
 * here runs ahead to 3 s before the window opens (`releaseNow`): each waiting job comes back every
 * few seconds, and the send path, on the test's clock, puts it back until the clock has passed
 * 09:00. That is the same check a job makes after hours of parking, made every few seconds.
 */
const RATE = 5;
const HORIZON_SECONDS = 30;
const ZONE = 'Europe/Berlin';
const MINUTE = 60_000;

/** The release function's clock: never behind the test's, and ahead to this instant once it is set. */
let releaseAheadTo = 0;
const harness = await startCampaignHarness(
  baseScenario({
    templates: [
      { name: 'autumn_sale', category: 'MARKETING', languages: ['en_US'], bodyParams: 1, ttlSeconds: 86_400 },
      { name: 'flash_sale', category: 'MARKETING', languages: ['en_US'], bodyParams: 1, ttlSeconds: 43_200 },
    ],
  }),
  {
    env: { PHONE_NUMBER_RATE_PER_SECOND: String(RATE), FEED_HORIZON_SECONDS: String(HORIZON_SECONDS) },
    releaseNow: () => Math.max(harness.now(), releaseAheadTo),
  },
  // The feeder waits for its share of the queue to drain: its looks must not move the clock.
  { realSleeps: true },
);

/** The first instant after `after` at which the zone's wall clock shows `hh:mm:ss`. */
function nextLocalTime(zone: string, clock: string, after: number): number {
  const [hours, minutes, seconds] = clock.split(':').map(Number) as [number, number, number];
  const base = floorToMinute(after);
  let at = base + ((hours * 60 + minutes - localMinuteOfDay(zone, base) + 1_440) % 1_440) * MINUTE + seconds * 1_000;
  if (at <= after) at += 1_440 * MINUTE;
  // A daylight-saving change in between moves the wall clock by its difference.
  at += offsetAt(zone, base) - offsetAt(zone, at);
  return at;
}

/** The recipient of an `audienceCsv` row (rows count from 1). */
const recipientOfRow = (row: number, firstNumber = 0) => `+49151${String(firstNumber + row - 1).padStart(8, '0')}`;

/** The most calls in any sliding second. */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1_000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('quiet hours across a day boundary', () => {
  it('sends the rows fed before 21:00, holds the rest until 09:00 the next day, then sends them at the number’s pace', async () => {
    const rows = 175;
    const launchAt = nextLocalTime(ZONE, '20:59:30', harness.now() + MINUTE);
    const opensAt = nextLocalTime(ZONE, '09:00:00', launchAt);
    releaseAheadTo = opensAt - 3_000;
    harness.setClock(launchAt);
    await harness.putAudience('evening.csv', audienceCsv(rows));
    await harness.create(
      harness.aCampaign('evening', {
        launch: { at: new Date(launchAt).toISOString() },
        sendWindow: { from: '09:00', until: '21:00', defaultTimeZone: ZONE },
      }),
    );
    expect((await harness.deployment.tickCampaigns()).launched).toEqual(['evening']);

    // At 20:59:30 the window is open: the feeder queues its share of the next 30 s, with no notBefore.
    const beforeNine = await harness.waitForCampaign('evening', (record) => (record.feed?.checkpoint.row ?? 0) >= RATE * HORIZON_SECONDS);
    expect(beforeNine.feed?.waitingUntil).toEqual({});

    // 21:00:05: every row fed from now on waits for 09:00 tomorrow, and is not counted as queued,
    // so the feeder reads the rest of the file at once.
    const clockMovedAt = Date.now();
    harness.setClock(launchAt + 35_000);
    const fed = await harness.waitForCampaign('evening', (record) => record.feed?.fedAt !== undefined);
    const waiting = Object.values(fed.feed!.waitingUntil).reduce((sum, count) => sum + count, 0);
    expect(fed.feed!.waitingUntil).toEqual({ [String(Math.ceil(opensAt / 1_000))]: waiting });
    expect(fed.feed).toMatchObject({ enqueued: rows, rejected: 0, duplicates: 0 });
    const sentBeforeNine = rows - waiting;
    expect(sentBeforeNine).toBeGreaterThanOrEqual(RATE * HORIZON_SECONDS);
    expect(waiting).toBeGreaterThan(0);
    // The file is fed in order: the last `waiting` rows are the ones that wait.
    const waitingRecipients = Array.from({ length: waiting }, (_, i) => recipientOfRow(sentBeforeNine + i + 1));

    // The rows fed in the window are all sent; meanwhile the waiting ones go round the send path
    // and the deferred queue, and none of them is sent while the clock is before 09:00.
    const accepted = (all: Awaited<ReturnType<typeof harness.allJobs>>) =>
      all.filter((job) => job.campaignId === 'evening' && job.state === 'accepted').length;
    await harness.waitForJobs((all) => accepted(all) === sentBeforeNine, 60_000);
    expect(harness.deployment.sources.release!.stats().records).toBeGreaterThanOrEqual(waiting);
    expect(harness.sim.calls().filter((call) => waitingRecipients.includes(call.recipient ?? ''))).toEqual([]);
    const jobs = await harness.allJobs();
    for (const recipient of waitingRecipients) expect(jobs.find((job) => job.recipient === recipient)).toBeUndefined();

    // 09:00:05 the next day: the waiting rows are sent, every one due at once, at the number's pace.
    const opened = Date.now();
    harness.setClock(opensAt + 5_000);
    await harness.waitForJobs((all) => accepted(all) === rows, 40_000);
    const calls = harness.sim.calls();
    for (const recipient of waitingRecipients) {
      const theirs = calls.filter((call) => call.recipient === recipient);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]!.at).toBeGreaterThanOrEqual(opened);
    }
    expect(new Set(calls.map((call) => call.recipient)).size).toBe(calls.length);
    expect(busiestSecond(calls.filter((call) => call.at >= opened).map((call) => call.at))).toBeLessThanOrEqual(RATE);
    // Before the clock was moved, the pace held too. (Moving the test's clock 30 s ahead makes the
    // sends already waiting for their times due at once: a burst no real clock produces.)
    expect(busiestSecond(calls.filter((call) => call.at < clockMovedAt).map((call) => call.at))).toBeLessThanOrEqual(RATE);
  }, 90_000);

  it('does not enqueue a recipient whose window opens only after the validity, and reports it expired with its row', async () => {
    // A 12-hour template, a 08:00–09:00 window, launched at 09:00:30 Berlin time: in Berlin the
    // window opens again in 23 h, after the validity; in London it is 08:00:30 (open); in New York
    // it opens in a few hours.
    const launchAt = nextLocalTime(ZONE, '09:00:30', harness.now());
    harness.setClock(launchAt);
    const audience = [
      'phone,first_name,tz',
      `${recipientOfRow(1, 5_000)},London,Europe/London`,
      `${recipientOfRow(2, 5_000)},Berlin,Europe/Berlin`,
      `${recipientOfRow(3, 5_000)},New York,America/New_York`,
      `${recipientOfRow(4, 5_000)},Nowhere,Atlantis/Lost_City`,
      `${recipientOfRow(5, 5_000)},No zone,`,
    ];
    await harness.putAudience('morning.csv', `${audience.join('\n')}\n`);
    await harness.create(
      harness.aCampaign('morning', {
        template: { name: 'flash_sale', language: 'en_US', body: [{ column: 'first_name' }] },
        audience: { bucket: harness.bucket, key: 'morning.csv', format: 'csv', recipientColumn: 'phone', timeZoneColumn: 'tz' },
        launch: { at: new Date(launchAt).toISOString() },
        sendWindow: { from: '08:00', until: '09:00', defaultTimeZone: ZONE },
      }),
    );
    expect((await harness.deployment.tickCampaigns()).launched).toEqual(['morning']);
    const fed = await harness.waitForCampaign('morning', (record) => record.feed?.fedAt !== undefined);
    expect(fed.launch).toMatchObject({ validitySeconds: 43_200 });
    // London is sent now and New York waits; Berlin, by its row's zone or its number's country, expires.
    expect(fed.feed).toMatchObject({ enqueued: 2, rejected: 3, duplicates: 0 });
    expect(Object.values(fed.feed!.waitingUntil)).toEqual([1]);
    const report = await harness.readObject('morning.csv.rejections.csv');
    const masked = (row: number) => `+49*********${recipientOfRow(row, 5_000).slice(-2)}`;
    expect(report.trim().split('\n')).toEqual([
      'row,recipient,reason,detail',
      `2,${masked(2)},expired,the send window opens only after the message's validity ends`,
      `4,${masked(4)},invalid_time_zone,"time zone ""Atlantis/Lost_City"" is not an IANA time zone such as Europe/Berlin"`,
      `5,${masked(5)},expired,the send window opens only after the message's validity ends`,
    ]);
    await harness.waitForJobs((all) => all.some((job) => job.recipient === recipientOfRow(1, 5_000) && job.state === 'accepted'));
    const calls = harness.sim.calls().filter((call) => call.template === 'flash_sale');
    expect(calls.map((call) => call.recipient)).toEqual([recipientOfRow(1, 5_000)]);
  });
});
