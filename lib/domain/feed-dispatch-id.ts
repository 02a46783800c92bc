/**
 * The dispatch id the feeder gives the job of an audience row: `row-` and the row number in ten
 * digits. It is the job's claim token on the send path, so a row enqueued again after a feeder
 * crash (between its enqueue and its checkpoint) meets its own claim and is a no-op, while a
 * second row with the same recipient meets another row's claim and is counted as a duplicate.
 */
const PREFIX = 'row-';

export function feedDispatchId(row: number): string {
  return `${PREFIX}${String(row).padStart(10, '0')}`;
}

export function isFeedRowToken(token: string | undefined): boolean {
  return token !== undefined && /^row-\d{10}$/.test(token);
}

/** The row number in a feeder's dispatch id; undefined for any other token. */
export function rowOfFeedToken(token: string): number | undefined {
  return isFeedRowToken(token) ? Number(token.slice(PREFIX.length)) : undefined;
}
