import type { CountedImage } from './state-gauges.ts';

/** One change of a job item, as the jobs table's stream reports it. */
export interface JobChange {
  campaignId: string;
  /** Its stream sequence number: decimal, increasing within the batch. */
  sequence: string;
  /** The item before (none for a new item) and after. */
  before?: CountedImage;
  after: CountedImage;
}

/**
 * One batch of the stream: its id (the id of its first record: a failed batch is handed over
 * again from that record, its checkpoint) and its job changes, in stream order.
 */
export interface JobChangeBatch {
  batchId: string;
  changes: readonly JobChange[];
}

/** A stream record that looks like a job item but cannot be read as a change of one, and why. */
export interface UnreadChange {
  sequence: string;
  reason: string;
}
