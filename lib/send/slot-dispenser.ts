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

/**
 * Hands out send times for one phone number, fleet-wide (see lib/domain/pacing.ts): the sends
 * that ask in the same tick share one block, so a batch costs one DynamoDB write while the
 * fleet is busy (two when the number was idle).
 */
export class SlotDispenser {
  /** Requests of this tick, grouped by what they ask for: each group is one reservation. */
  private readonly waiting = new Map<
    string,
    { phoneNumberId: string; latestStart: number; paceFactor: number; resolvers: Array<(at: number | undefined) => void> }
  >();
  private flushScheduled = false;
  private readonly controls: Pick<ControlStore, 'appendToPace' | 'restartPace'>;
  private readonly rateFor: (phoneNumberId: string) => number;
  private readonly now: () => number;

  constructor(controls: Pick<ControlStore, 'appendToPace' | 'restartPace'>, rateFor: (phoneNumberId: string) => number, now: () => number) {
    this.controls = controls;
    this.rateFor = rateFor;
    this.now = now;
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
    const now = this.now();
    const intervalMicros = sendIntervalMicros(effectiveRate(this.rateFor(phoneNumberId), paceFactor));
    const request: BlockRequest = {
      count,
      intervalMicros,
      earliestMicros: Math.round((now + SEND_LEAD_MS) * 1000),
      latestMicros: Math.floor(latestStart * 1000),
    };
    request.count = reachableCount(request);
    for (let attempt = 0; attempt < MAX_ATTEMPTS && request.count > 0; attempt++) {
      const answer = await this.controls.appendToPace(phoneNumberId, request.count * intervalMicros, appendWindow(request));
      if (answer.appended) return blockTimes(answer.startMicros, request.count, intervalMicros);
      const next = afterRefusal(answer.nextFreeMicros, request);
      if (next.kind === 'none') return [];
      if (next.kind === 'fewer') {
        request.count = next.count;
        continue;
      }
      const restarted = await this.controls.restartPace(
        phoneNumberId,
        answer.nextFreeMicros,
        next.startMicros + request.count * intervalMicros,
      );
      if (restarted) return blockTimes(next.startMicros, request.count, intervalMicros);
    }
    return [];
  }
}
