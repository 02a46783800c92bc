import type { ReservedBlock } from './slot-dispenser.ts';

/**
 * How one send invocation took its share of the numbers' pace, logged once at its end so that
 * the hand-over between invocations can be measured where it happens (on Lambda and in the
 * benchmark alike):
 * - `handOverMs`: from this execution environment's previous last send time to this
 *   invocation's first reservation (Meta's last answer, the outcome write, the event source's
 *   delete and receive, the batch's reads). The rest of the fleet must hold the pace meanwhile.
 * - `leadMs`: how far ahead of its reservation the first block starts: the pace the rest of the
 *   fleet still held. About SEND_LEAD_MS when the number was idle or nearly so.
 * - `idleMs`: how long the number had had no send time reserved when a block restarted its pace:
 *   a gap while this batch had jobs waiting. A minute or more is a quiet spell ending, not a
 *   gap, and is left out.
 */
export interface PacingSummary {
  sends: number;
  blocks: number;
  leadMs: number;
  idleMs?: number;
  handOverMs?: number;
}

/** A previous invocation's last send, or a number's last reserved time, longer ago than this was a quiet spell, not a hand-over. */
const HAND_OVER_HORIZON_MS = 60_000;
/** Environments remembered at most: one on Lambda, one per event-source slot locally. */
const ENVIRONMENTS_KEPT = 1_000;

/** Last send time of the latest invocation of each execution environment (its log stream). */
const lastSendAtByEnvironment = new Map<string, number>();

export class BatchPacing {
  private readonly blocks: ReservedBlock[] = [];

  readonly record = (block: ReservedBlock): void => {
    this.blocks.push(block);
  };

  /** The invocation's pacing, and this environment's last send time kept for its next one; undefined when it reserved nothing. */
  close(environment: string): PacingSummary | undefined {
    const first = this.blocks[0];
    if (!first) return undefined;
    const previousLastSend = lastSendAtByEnvironment.get(environment);
    lastSendAtByEnvironment.delete(environment);
    if (lastSendAtByEnvironment.size >= ENVIRONMENTS_KEPT) lastSendAtByEnvironment.delete(lastSendAtByEnvironment.keys().next().value!);
    lastSendAtByEnvironment.set(environment, Math.max(...this.blocks.map((block) => block.lastAt)));
    const gaps = this.blocks.flatMap((block) => (block.idleMs !== undefined && block.idleMs < HAND_OVER_HORIZON_MS ? [block.idleMs] : []));
    const handOverMs = previousLastSend === undefined ? undefined : first.askedAt - previousLastSend;
    return {
      sends: this.blocks.reduce((sum, block) => sum + block.count, 0),
      blocks: this.blocks.length,
      leadMs: Math.round(first.firstAt - first.askedAt),
      ...(gaps.length > 0 ? { idleMs: Math.round(gaps.reduce((sum, ms) => sum + ms, 0)) } : {}),
      ...(handOverMs !== undefined && handOverMs >= 0 && handOverMs < HAND_OVER_HORIZON_MS ? { handOverMs: Math.round(handOverMs) } : {}),
    };
  }
}
