import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createControlStore, paceKey } from '../../lib/adapters/dynamodb/control-store.ts';
import { CLAIM_LEAD_MS, PACE_HORIZON_MS, SEND_LEAD_MS, sendIntervalMicros } from '../../lib/domain/pacing.ts';
import { type ReservedBlock, SlotDispenser } from '../../lib/send/slot-dispenser.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';

/**
 * The shared pace on DynamoDB Local: separate dispensers stand for separate Lambda processes,
 * each with its own clock reading, reserving against one control item.
 */
const { clients } = useLocalStack();
let tableName: string;
beforeAll(async () => {
  tableName = (await createTestResources()).table('ControlTable').name;
});

const RATE = 80; // paced at 77/s: 12,988 µs apart
const INTERVAL_MS = sendIntervalMicros(77) / 1000;
let phoneSeq = 0;
const newPhone = () => `15550000${String(++phoneSeq).padStart(4, '0')}`;
const dispenser = (now: () => number = Date.now) =>
  new SlotDispenser({ controls: createControlStore(clients.documents, { tableName }), rateFor: () => RATE, now });
const askFor = (d: SlotDispenser, phone: string, count: number, latestStart: number) =>
  Promise.all(Array.from({ length: count }, () => d.acquire(phone, latestStart)));
const nextFreeAt = async (phone: string) =>
  (await clients.documents.send(new GetCommand({ TableName: tableName, Key: { key: paceKey(phone) }, ConsistentRead: true }))).Item
    ?.nextFreeAt as number | undefined;

describe('the fleet-wide pace', () => {
  it('gives concurrent senders one evenly spaced sequence of send times, with no time given twice and none wasted', async () => {
    const phone = newPhone();
    const now = Date.now();
    const senders = Array.from({ length: 8 }, () => dispenser());
    const blocks = await Promise.all(senders.map((d) => askFor(d, phone, 10, now + 10_000)));
    const times = blocks
      .flat()
      .map((t) => t!)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(80);
    for (const block of blocks) expect(block.every((t) => t !== undefined)).toBe(true);
    // One sequence: each time exactly one interval after the previous (µs arithmetic, compared in ms).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeCloseTo(INTERVAL_MS, 3);
    expect(times[0]!).toBeGreaterThanOrEqual(now);
    expect(times[0]!).toBeLessThanOrEqual(Date.now() + SEND_LEAD_MS);
    // The item remembers where the sequence ends: the next block continues it.
    expect((await nextFreeAt(phone))! / 1000).toBeCloseTo(times.at(-1)! + INTERVAL_MS, 3);
    const [next] = await askFor(dispenser(), phone, 1, Date.now() + 10_000);
    expect(next).toBeCloseTo(times.at(-1)! + INTERVAL_MS, 3);
  });

  it('starts a number that has been idle from now, not from where it stopped', async () => {
    const phone = newPhone();
    await clients.documents.send(
      new PutCommand({ TableName: tableName, Item: { key: paceKey(phone), nextFreeAt: (Date.now() - 60_000) * 1000 } }),
    );
    const before = Date.now();
    const [first] = await askFor(dispenser(), phone, 1, before + 5_000);
    expect(first!).toBeGreaterThanOrEqual(before + SEND_LEAD_MS);
    expect(first!).toBeLessThan(Date.now() + SEND_LEAD_MS + 5);
  });

  it('gives only the times that start before the deadline, and none when the pace is further ahead', async () => {
    const phone = newPhone();
    const now = Date.now();
    await clients.documents.send(new PutCommand({ TableName: tableName, Item: { key: paceKey(phone), nextFreeAt: (now + 1_000) * 1000 } }));
    // Deadline 1 s + 3 intervals + a bit ahead: 4 of the 10 fit.
    const partial = await askFor(
      dispenser(() => now),
      phone,
      10,
      now + 1_000 + 3 * INTERVAL_MS + 1,
    );
    expect(partial.filter((t) => t !== undefined)).toHaveLength(4);
    expect(partial.slice(4).every((t) => t === undefined)).toBe(true);
    const none = await askFor(
      dispenser(() => now),
      phone,
      3,
      now + 500,
    );
    expect(none).toEqual([undefined, undefined, undefined]);
    // A refused request moves nothing.
    expect((await nextFreeAt(phone))! / 1000).toBeCloseTo(now + 1_000 + 4 * INTERVAL_MS, 3);
  });

  it('does not stall behind a pace set by a clock that ran far ahead', async () => {
    const phone = newPhone();
    const now = Date.now();
    const [skewed] = await askFor(
      dispenser(() => now + PACE_HORIZON_MS + 30_000),
      phone,
      1,
      now + PACE_HORIZON_MS + 35_000,
    );
    expect(skewed).toBeGreaterThan(now + PACE_HORIZON_MS);
    const [first] = await askFor(dispenser(), phone, 1, Date.now() + 5_000);
    expect(first!).toBeLessThan(Date.now() + 1_000);
  });

  it('hands each time out CLAIM_LEAD_MS before it comes, so a batch claims its jobs along its block', async () => {
    const phone = newPhone();
    await clients.documents.send(
      new PutCommand({ TableName: tableName, Item: { key: paceKey(phone), nextFreeAt: (Date.now() + CLAIM_LEAD_MS + 500) * 1000 } }),
    );
    const d = dispenser();
    const handedOut = await Promise.all(
      Array.from({ length: 3 }, () => d.acquire(phone, Date.now() + 5_000).then((at) => ({ at: at!, when: Date.now() }))),
    );
    for (const { at, when } of handedOut) {
      expect(when).toBeGreaterThanOrEqual(at - CLAIM_LEAD_MS - 2);
      expect(when).toBeLessThan(at - CLAIM_LEAD_MS + 100);
    }
  });

  it('spaces sends further apart while the pace is scaled down after 130429s', async () => {
    const phone = newPhone();
    const d = dispenser();
    // One deadline for all five, so that they share one block even when the clock ticks between the calls.
    const latestStart = Date.now() + 5_000;
    const times = await Promise.all(Array.from({ length: 5 }, () => d.acquire(phone, latestStart, 0.5)));
    expect(times[1]! - times[0]!).toBeCloseTo(sendIntervalMicros(38) / 1000, 3);
  });

  it('sends nothing when the pace cannot be read or written', async () => {
    const broken = new SlotDispenser({
      controls: createControlStore(clients.documents, { tableName: 'no-such-table' }),
      rateFor: () => RATE,
      now: Date.now,
    });
    expect(await askFor(broken, newPhone(), 2, Date.now() + 5_000)).toEqual([undefined, undefined]);
  });

  it("lets a late send take the batch's next untaken time, and reports each block and the times lost", async () => {
    const phone = newPhone();
    let clock = Date.now();
    const blocks: ReservedBlock[] = [];
    const d = new SlotDispenser({
      controls: createControlStore(clients.documents, { tableName }),
      rateFor: () => RATE,
      now: () => clock,
      onBlock: (block) => blocks.push(block),
    });
    const [first, second, third] = (await askFor(d, phone, 3, clock + 10_000)) as number[];
    expect(blocks).toEqual([expect.objectContaining({ phoneNumberId: phone, count: 3, firstAt: first, lastAt: third })]);
    // The job meant for the first time was claimed too late for it: it leaves at the second.
    clock = first! + 1;
    expect(d.take(phone)).toBe(second);
    // Times are taken earliest first, never twice; the first one came with nobody ready: lost.
    expect(d.take(phone)).toBe(third);
    expect(d.take(phone)).toBeUndefined();
    expect(d.timesLost()).toBe(1);
  });
});
