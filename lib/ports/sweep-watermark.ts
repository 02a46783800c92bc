/**
 * How far the dropped sweep has read the open-deadlines records (`open-deadlines.ts`): every
 * record whose deadline is at or before `sweptUntil` has been looked at once. Operators can read
 * (and, to re-sweep a period, lower) it in the console.
 */
export interface SweepWatermark {
  /** Epoch ms, or undefined before the first sweep. */
  read(): Promise<number | undefined>;
  /** Moves it from `from` to `to`; false if another sweep moved it meanwhile. */
  advance(from: number | undefined, to: number, now: number): Promise<boolean>;
}
