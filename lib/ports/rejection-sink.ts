import type { Campaign } from '../domain/campaign-contract.ts';

/** The campaign a report belongs to: its report sits beside its audience file. */
export type ReportedCampaign = Pick<Campaign, 'campaignId' | 'audience'>;

export interface RejectionPart {
  campaign: ReportedCampaign;
  /** The first row the part covers; writing a part with the same first row again replaces it. */
  firstRow: number;
  /**
   * Report lines (`rejectionReportLine`), one per rejected row, in row order, each on one line
   * and starting with its row number.
   */
  lines: readonly string[];
}

/**
 * The campaign's rejection report (adapter: `lib/adapters/s3/rejection-report-writer.ts`). The
 * feeder writes a part before each checkpoint that moves past rejected rows, and merges the parts
 * into one CSV when the whole audience has been read.
 */
export interface RejectionSink {
  /** Writes (or replaces) one part; its key, to list in the feed state. */
  writePart(part: RejectionPart): Promise<string>;
  /**
   * Writes the report (header and every part's lines in row order, each row once, since a part
   * written again after a crash may repeat rows of the next) and deletes the parts. Calling it
   * again after it completed returns the same report. The report's key.
   */
  merge(request: { campaign: ReportedCampaign; parts: readonly string[] }): Promise<string>;
}
