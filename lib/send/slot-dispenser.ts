import type { ControlStore } from '../adapters/control-store.ts';
import { effectiveRate, grantedSlots, slotTime } from '../domain/pacing.ts';

/** The last second found full, per phone number, in this process. */
const FULL_UNTIL = new Map<string, number>();

/**
 * Hands out send times for one phone number, fleet-wide: the sends that ask in the same tick
 * share one reservation (one DynamoDB write per batch, not per send). A second found full is
 * remembered per process, so later reservations start after it.
 */
export class SlotDispenser {
  private readonly waiting = new Map<string, Array<(at: number | undefined) => void>>();
  private flushScheduled = false;
  private readonly controls: Pick<ControlStore, 'reserveSlots'>;
  private readonly rateFor: (phoneNumberId: string) => number;
  private readonly now: () => number;

  constructor(controls: Pick<ControlStore, 'reserveSlots'>, rateFor: (phoneNumberId: string) => number, now: () => number) {
    this.controls = controls;
    this.rateFor = rateFor;
    this.now = now;
  }

  /**
   * The time this send may start (epoch ms), or undefined when no slot is free before
   * `latestStart`. `slowUntil` halves the rate after a 130429.
   */
  acquire(phoneNumberId: string, latestStart: number, slowUntil?: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const key = `${phoneNumberId}\u0000${latestStart}\u0000${slowUntil ?? ''}`;
      const list = this.waiting.get(key) ?? [];
      list.push(resolve);
      this.waiting.set(key, list);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const groups = [...this.waiting];
    this.waiting.clear();
    await Promise.all(
      groups.map(async ([key, resolvers]) => {
        const [phoneNumberId, latest, slow] = key.split('\u0000') as [string, string, string];
        try {
          const times = await this.reserve(phoneNumberId, resolvers.length, Number(latest), slow ? Number(slow) : undefined);
          resolvers.forEach((resolve, i) => resolve(times[i]));
        } catch {
          // Without the shared counter the pace cannot be guaranteed: send nothing now.
          for (const resolve of resolvers) resolve(undefined);
        }
      }),
    );
  }

  private async reserve(phoneNumberId: string, count: number, latestStart: number, slowUntil: number | undefined): Promise<number[]> {
    const times: number[] = [];
    const now = this.now();
    let second = Math.max(Math.floor(now / 1000), (FULL_UNTIL.get(phoneNumberId) ?? 0) + 1);
    while (times.length < count && second * 1000 <= latestStart) {
      const rate = effectiveRate(this.rateFor(phoneNumberId), slowUntil, second * 1000);
      const wanted = count - times.length;
      const counterAfter = await this.controls.reserveSlots(phoneNumberId, second, wanted);
      const slots = grantedSlots(counterAfter, wanted, rate);
      for (const slot of slots) {
        const at = slotTime(second, slot, rate);
        // A slot already past is left unused: sending it now would bunch it with the next
        // ones, and Meta counts arrivals in a sliding window.
        if (at >= now && at <= latestStart) times.push(at);
      }
      if (counterAfter >= rate) FULL_UNTIL.set(phoneNumberId, second);
      second++;
    }
    return times;
  }
}
