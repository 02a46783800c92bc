/**
 * A campaign's lifecycle, as the sender applies it and as operators steer it from the console.
 *
 * ```
 * SCHEDULED ──launch time──▶ LAUNCHING ──preflight passed──▶ SENDING ──all fed and final──▶ COMPLETED
 *     │                          │ preflight failed              │  ▲
 *     │                          ▼                               ▼  │ resume
 *     │                        FAILED ◀──── audience changed ─── PAUSED
 *     └──────────── CANCELLED ◀──── from any state that is not final
 * ```
 *
 * The campaign item is the one source of truth, and operators edit it in the DynamoDB console, so
 * the sender keeps two attributes apart: `status`, what was asked (by an operator's edit or by the
 * sender itself), and `appliedStatus`, what the sender has acted on. `reconcileStatus` compares the
 * two: a change that is allowed is applied with a conditional write; a value the sender does not
 * know (a typo such as `paused`) or a move the lifecycle does not allow is refused loudly, and the
 * campaign goes on as it was. Pure.
 */
export const CAMPAIGN_STATUSES = {
  scheduled: 'SCHEDULED',
  launching: 'LAUNCHING',
  sending: 'SENDING',
  paused: 'PAUSED',
  completed: 'COMPLETED',
  cancelled: 'CANCELLED',
  failed: 'FAILED',
} as const;

export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[keyof typeof CAMPAIGN_STATUSES];

const ALL: readonly CampaignStatus[] = Object.values(CAMPAIGN_STATUSES);

/** States a campaign never leaves. */
export const FINAL_STATUSES: readonly CampaignStatus[] = [CAMPAIGN_STATUSES.completed, CAMPAIGN_STATUSES.cancelled];

/** Who moves a campaign: an operator (CLI or console), the launch trigger, the feeder, or Meta (template webhooks). */
export type CampaignActor = 'operator' | 'trigger' | 'feeder' | 'meta';

const S = CAMPAIGN_STATUSES;

/** Every allowed move, and who may make it. */
const TRANSITIONS: Readonly<Record<CampaignStatus, Partial<Record<CampaignStatus, readonly CampaignActor[]>>>> = {
  [S.scheduled]: { [S.launching]: ['trigger'], [S.cancelled]: ['operator'] },
  [S.launching]: { [S.sending]: ['trigger'], [S.failed]: ['trigger'], [S.cancelled]: ['operator'] },
  [S.sending]: {
    [S.paused]: ['operator', 'meta'],
    [S.completed]: ['feeder'],
    [S.failed]: ['feeder', 'meta'],
    [S.cancelled]: ['operator'],
  },
  [S.paused]: { [S.sending]: ['operator', 'meta'], [S.failed]: ['meta'], [S.cancelled]: ['operator'] },
  // A failed campaign may be scheduled again once its cause is fixed: the feeder resumes from its
  // checkpoint and every job's claim keeps a recipient from getting the message twice.
  [S.failed]: { [S.scheduled]: ['operator'], [S.cancelled]: ['operator'] },
  [S.completed]: {},
  [S.cancelled]: {},
};

/** Whether `actor` may move a campaign from `from` to `to`. */
export function mayTransition(from: CampaignStatus, to: CampaignStatus, actor: CampaignActor): boolean {
  return TRANSITIONS[from][to]?.includes(actor) ?? false;
}

/** The moves an actor may make from a state, e.g. to tell an operator what they can do. */
export function nextStatuses(from: CampaignStatus, actor: CampaignActor): CampaignStatus[] {
  return ALL.filter((to) => mayTransition(from, to, actor));
}

/** Narrows an attribute read from the item to a status, case and all. */
export function isCampaignStatus(value: unknown): value is CampaignStatus {
  return typeof value === 'string' && (ALL as readonly string[]).includes(value);
}

export type StatusReconciliation =
  /** Nothing was asked that the sender has not acted on. */
  | { kind: 'unchanged'; status: CampaignStatus }
  /** An allowed change to act on (with a write conditional on both values as read). */
  | { kind: 'apply'; from: CampaignStatus; to: CampaignStatus }
  /** Refused: the campaign goes on as `appliedStatus` says, and the item, a metric and an alarm say why. */
  | { kind: 'refuse'; status: CampaignStatus; reason: string };

/**
 * Compares what an operator (or the sender) asked in `status` with what the sender has applied. A
 * campaign item written by hand, without `appliedStatus`, is taken as applied in its first state:
 * `SCHEDULED`.
 */
export function reconcileStatus(
  item: { status?: unknown; appliedStatus?: unknown },
  actor: CampaignActor = 'operator',
): StatusReconciliation {
  const applied = isCampaignStatus(item.appliedStatus) ? item.appliedStatus : S.scheduled;
  const asked = item.status;
  if (!isCampaignStatus(asked)) return { kind: 'refuse', status: applied, reason: unknownStatusReason(asked) };
  if (asked === applied) return { kind: 'unchanged', status: applied };
  if (!mayTransition(applied, asked, actor)) {
    const allowed = nextStatuses(applied, actor);
    const options = allowed.length > 0 ? `; from ${applied} an ${actor} may set ${allowed.join(' or ')}` : `; ${applied} is final`;
    return { kind: 'refuse', status: applied, reason: `status ${asked} is not allowed after ${applied}${options}` };
  }
  return { kind: 'apply', from: applied, to: asked };
}

function unknownStatusReason(asked: unknown): string {
  const shown = typeof asked === 'string' ? `"${asked}"` : (JSON.stringify(asked) ?? 'nothing');
  const meant = typeof asked === 'string' ? ALL.find((status) => status === asked.trim().toUpperCase()) : undefined;
  const hint = meant ? `; did you mean ${meant}?` : '';
  return `status ${shown} is not a status the sender knows${hint} (known: ${ALL.join(', ')})`;
}
