/** One campaign job for the send queue: its body (the job contract as JSON) and an id for its batch entry. */
export interface CampaignJobMessage {
  /** Unique within one `enqueue` call; the feeder uses the audience row's number. */
  id: string;
  body: string;
}

/**
 * The send queue as the campaign feeder sees it (adapter: `lib/adapters/sqs/campaign-job-queue.ts`).
 * `enqueue` puts every job on the queue, in batches of 10, retrying the entries SQS refused; it
 * throws when any job could still not be put, so the feeder never moves its checkpoint past a
 * row that is not on the queue. A job may be stored twice (a batch call that failed after SQS
 * stored it): the send path's claim turns the second copy into a no-op.
 */
export interface CampaignJobQueue {
  enqueue(jobs: readonly CampaignJobMessage[]): Promise<void>;
}
