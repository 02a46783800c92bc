import {
  afterRefusal,
  appendWindow,
  type BlockRequest,
  blockTimes,
  CLAIM_LEAD_MS,
  effectiveRate,
  reachableCount,
  SEND_LEAD_MS,
  sendIntervalMicros,
} from '../domain/pacing.ts';
import type { ControlStore } from '../ports/control-store.ts';

/** Refusals (another sender moved the pace in between) before a reservation gives up for now. */
const MAX_ATTEMPTS = 6;

/** A block of send times this dispenser reserved (epoch ms). */
export interface ReservedBlock {
  phoneNumberId: string;
  /** When the reservation was asked for. */
  askedAt: number;
  firstAt: number;
  lastAt: number;
  count: number;
  /** How long the number had had no send time reserved when this block restarted its pace (undefined: it had). */
  idleMs?: number;
}

/** What a dispenser works with. */
export interface SlotDispenserOptions {
  controls: Pick<ControlStore, 'appendToPace' | 'restartPace'>;
  rateFor: (phoneNumberId: string) => number;
  now: () => number;
  /** Told of every block reserved: how the pace was handed over (see the pacing log of send-batch.ts). */
  onBlock?: (block: ReservedBlock) => void;
}

/**
 * Hands out send times for one phone number, fleet-wide (see lib/domain/pacing.ts): the sends
 * that ask in the same tick share one block, so a batch costs one DynamoDB write while the
 * fleet is busy (two when the number was idle).
 *
 * A time handed out by `acquire` says when to claim the job (CLAIM_LEAD_MS before it); the time
 * the send then leaves at is `take`n from the batch's reserved times: the earliest one not yet
 * passed by. A job whose claim or timer came late therefore leaves at the next time no other
 * job was ready for, and a reserved time is lost only when no claimed job of the batch was
 * ready for it, instead of each late job losing its own time and queueing behind the fleet.
 */
export class SlotDispenser {
  /** Requests of this tick, grouped by what they ask for: each group is one reservation. */
  private readonly waiting = new Map<
    string,
    { phoneNumberId: string; latestStart: number; paceFactor: number; resolvers: Array<(at: number | undefined) => void> }
  >();
  private flushScheduled = false;
  private readonly options: SlotDispenserOptions;
  /** Reserved times no send has taken yet, per number, earliest first. */
  private readonly untaken = new Map<string, number[]>();
  /** Reserved times that passed by with no claimed job ready for them. */
  private passedBy = 0;

  constructor(options: SlotDispenserOptions) {
    this.options = options;
  }

  private now(): number {
    return this.options.now();
  }

  /**
   * The time this send may start (epoch ms), or undefined when none is free before
   * `latestStart`. `paceFactor` scales the rate down after 130429s. A time is handed out
   * CLAIM_LEAD_MS before it comes, not when its block is reserved, so that a batch's jobs are
   * claimed one by one along the block.
   */
  acquire(phoneNumberId: string, latestStart: number, paceFactor = 1): Promise<number | undefined> {
    return new Promise((resolve) => {
      const key = `${phoneNumberId}|${latestStart}|${paceFactor}`;
      const group = this.waiting.get(key) ?? { phoneNumberId, latestStart, paceFactor, resolvers: [] };
      group.resolvers.push(resolve);
      this.waiting.set(key, group);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /**
   * The earliest reserved time for this number that has not come yet, for one send; undefined
   * when none is left (then `acquire` reserves more). Times that came with no claimed job ready
   * are given up: a send that left after its time would crowd Meta's sliding second.
   */
  take(phoneNumberId: string): number | undefined {
    const times = this.untaken.get(phoneNumberId);
    if (!times) return undefined;
    const now = this.now();
    while (times.length > 0 && times[0]! < now) {
      times.shift();
      this.passedBy += 1;
    }
    return times.shift();
  }

  /** Reserved times lost so far: passed by with no claimed job ready, or left over (see `take`). */
  timesLost(): number {
    const leftOver = [...this.untaken.values()].reduce((sum, times) => sum + times.length, 0);
    return this.passedBy + leftOver;
  }

  private keepUntaken(phoneNumberId: string, times: number[]): void {
    const kept = this.untaken.get(phoneNumberId) ?? [];
    kept.push(...times);
    kept.sort((a, b) => a - b);
    this.untaken.set(phoneNumberId, kept);
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const groups = [...this.waiting.values()];
    this.waiting.clear();
    await Promise.all(
      groups.map(async ({ phoneNumberId, latestStart, paceFactor, resolvers }) => {
        try {
          const times = await this.reserve(phoneNumberId, resolvers.length, latestStart, paceFactor);
          for (const [i, resolve] of resolvers.entries()) this.handOut(times[i], resolve);
        } catch {
          // Without the shared pace the fleet's rate cannot be guaranteed: send nothing now.
          for (const resolve of resolvers) resolve(undefined);
        }
      }),
    );
  }

  private handOut(at: number | undefined, resolve: (at: number | undefined) => void): void {
    const untilClaim = at === undefined ? 0 : at - CLAIM_LEAD_MS - this.now();
    if (untilClaim > 0) setTimeout(() => resolve(at), untilClaim);
    else resolve(at);
  }

  private async reserve(phoneNumberId: string, count: number, latestStart: number, paceFactor: number): Promise<number[]> {
    const askedAt = this.now();
    const reserved = await this.reserveTimes({ phoneNumberId, count, latestStart, paceFactor, askedAt });
    if (reserved.times.length > 0) {
      this.keepUntaken(phoneNumberId, reserved.times);
      this.options.onBlock?.({
        phoneNumberId,
        askedAt,
        firstAt: reserved.times[0]!,
        lastAt: reserved.times.at(-1)!,
        count: reserved.times.length,
        ...(reserved.idleMs !== undefined ? { idleMs: reserved.idleMs } : {}),
      });
    }
    return reserved.times;
  }

  private async reserveTimes(ask: {
    phoneNumberId: string;
    count: number;
    latestStart: number;
    paceFactor: number;
    askedAt: number;
  }): Promise<{ times: number[]; idleMs?: number }> {
    const { phoneNumberId, count, latestStart, paceFactor, askedAt: now } = ask;
    const intervalMicros = sendIntervalMicros(effectiveRate(this.options.rateFor(phoneNumberId), paceFactor));
    const request: BlockRequest = {
      count,
      intervalMicros,
      earliestMicros: Math.round((now + SEND_LEAD_MS) * 1000),
      latestMicros: Math.floor(latestStart * 1000),
    };
    request.count = reachableCount(request);
    for (let attempt = 0; attempt < MAX_ATTEMPTS && request.count > 0; attempt++) {
      const answer = await this.options.controls.appendToPace(phoneNumberId, request.count * intervalMicros, appendWindow(request));
      if (answer.appended) return { times: blockTimes(answer.startMicros, request.count, intervalMicros) };
      const next = afterRefusal(answer.nextFreeMicros, request);
      if (next.kind === 'none') return { times: [] };
      if (next.kind === 'fewer') {
        request.count = next.count;
        continue;
      }
      const restarted = await this.options.controls.restartPace(
        phoneNumberId,
        answer.nextFreeMicros,
        next.startMicros + request.count * intervalMicros,
      );
      if (restarted) {
        const times = blockTimes(next.startMicros, request.count, intervalMicros);
        return answer.nextFreeMicros === undefined ? { times } : { times, idleMs: (next.startMicros - answer.nextFreeMicros) / 1000 };
      }
    }
    return { times: [] };
  }
}
