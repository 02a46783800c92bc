/**
 * A campaign that is sending but gets nothing accepted: its number stopped, its jobs stuck on a
 * queue, the send function failing. The ticker watches when the accepted count last moved; ten
 * minutes without a move while jobs are ready to go is a stall (the CampaignStalledAlarm). Pure.
 */
import { isWindowOpenIn, type SendWindow } from './send-window.ts';

export const STALL_AFTER_MS = 10 * 60_000;

/** When the accepted count last moved: now if it differs from the last tick's, else as it was. */
export function acceptedChangedAt(
  previous: { accepted?: number; acceptedChangedAt?: string } | undefined,
  accepted: number,
  now: number,
): string {
  if (previous?.accepted === accepted && previous.acceptedChangedAt) return previous.acceptedChangedAt;
  return new Date(now).toISOString();
}

export interface StallQuery {
  /** Jobs that could be sent now (queued, held, waiting to retry) and rows not yet fed. */
  readyToSend: number;
  acceptedChangedAt: string;
  now: number;
  /** The campaign's window and the zone it is read in (its default zone). */
  sendWindow?: (SendWindow & { defaultTimeZone: string }) | undefined;
}

/**
 * Stalled: jobs ready, nothing accepted for STALL_AFTER_MS, and the send window (in its default
 * zone) open at both ends of that time, so that quiet hours are not taken for a stall.
 */
export function isStalled({ readyToSend, acceptedChangedAt: changedAt, now, sendWindow }: StallQuery): boolean {
  if (readyToSend === 0 || now - Date.parse(changedAt) < STALL_AFTER_MS) return false;
  if (!sendWindow) return true;
  const zone = sendWindow.defaultTimeZone;
  return isWindowOpenIn(sendWindow, zone, now) && isWindowOpenIn(sendWindow, zone, now - STALL_AFTER_MS);
}
