/** Starts (or continues) feeding a campaign's audience: a message on the feed queue, which the feed function takes. */
export interface FeedTrigger {
  kick(campaignId: string, delaySeconds?: number): Promise<void>;
}
