import { setTimeout as sleep } from 'node:timers/promises';
import type { CampaignDeps } from '../../lib/campaigns/context.ts';
import { moveCampaign } from '../../lib/campaigns/steer.ts';
import {
  type CampaignStatus,
  FINAL_STATUSES,
  mayTransition,
  nextStatuses,
  CAMPAIGN_STATUSES as S,
} from '../../lib/domain/campaign-lifecycle.ts';
import { createLogger } from '../../lib/observability.ts';
import type { CampaignCliContext } from './context.ts';
import { refused } from './failure.ts';
import { readRecord } from './show.ts';

export type SteerAction = 'pause' | 'resume' | 'cancel';

export interface SteerInput extends CampaignCliContext {
  campaignId: string;
  action: SteerAction;
}

/** The command that asks for each status, to tell an operator what they may do instead. */
const COMMAND_FOR: Partial<Record<CampaignStatus, SteerAction>> = {
  [S.paused]: 'pause',
  [S.sending]: 'resume',
  [S.scheduled]: 'resume',
  [S.cancelled]: 'cancel',
};

/** What the move means for the recipients, said after it is applied. */
const EFFECT_OF: Partial<Record<CampaignStatus, string>> = {
  [S.paused]: 'the send path holds the jobs already queued until the campaign is resumed',
  [S.cancelled]: 'the jobs already queued end cancelled, and nothing more is fed',
  [S.sending]: 'the jobs already queued go out again, and the feeder continues',
  [S.scheduled]: 'it relaunches at the next tick (within a minute); the feeder resumes from its checkpoint',
};

/** The status an action asks for: resume sends a paused campaign on, and schedules a failed one again. */
function targetOf(action: SteerAction, applied: CampaignStatus): CampaignStatus {
  if (action === 'pause') return S.paused;
  if (action === 'cancel') return S.cancelled;
  return applied === S.failed ? S.scheduled : S.sending;
}

/** Exit 1 naming what an operator may do from here, when the lifecycle does not allow the move. */
function refuseUnlessAllowed({ campaignId, action }: SteerInput, applied: CampaignStatus, to: CampaignStatus): void {
  if (mayTransition(applied, to, 'operator')) return;
  if (FINAL_STATUSES.includes(applied)) throw refused(`cannot ${action} campaign ${campaignId}: it is ${applied}, which is final`);
  const allowed = nextStatuses(applied, 'operator').map((status) => `${COMMAND_FOR[status] ?? '?'} (${status})`);
  throw refused(`cannot ${action} campaign ${campaignId}: it is ${applied}; from ${applied} an operator may ${allowed.join(' or ')}`);
}

/** The steering deps for the CLI: the launch's preflight is never reached from an operator's move. */
function steeringDeps(context: CampaignCliContext): CampaignDeps {
  return {
    campaigns: context.campaigns,
    controls: context.controls,
    counters: context.counters,
    feeds: context.feeds,
    preflight: () => Promise.reject(new Error('the campaign CLI never launches a campaign: the ticker does')),
    now: context.now,
    sleep: (ms) => sleep(ms),
    // The CLI prints what changed itself; the functions' structured log would only repeat it.
    logger: createLogger('campaign-cli', 'SILENT'),
    metric: () => {},
    campaignMetric: () => {},
  };
}

/**
 * `pause|resume|cancel <id>`: asks for the status on the item, as a console edit would, and applies
 * it at once (the ticker would within a minute), so the send path follows in seconds.
 */
export async function steerCampaign(input: SteerInput): Promise<CampaignStatus> {
  const { campaignId, out } = input;
  const before = await readRecord(input);
  const applied = before.appliedStatus ?? S.scheduled;
  const to = targetOf(input.action, applied);
  refuseUnlessAllowed(input, applied, to);
  if (!(await input.campaigns.requestStatus(campaignId, to, input.now()))) throw refused(`no campaign ${campaignId}`);
  // Read again: the conditional write that applies the move expects `status` as just written.
  const asked = await readRecord(input);
  const from = asked.appliedStatus ?? S.scheduled;
  if (from === to) {
    out(`campaign ${campaignId}: ${to} (the ticker applied it meanwhile)`);
    return to;
  }
  if (!mayTransition(from, to, 'operator')) {
    throw refused(
      `campaign ${campaignId} became ${from} meanwhile; ${to} stays asked on the item and the ticker will refuse it, naming why`,
    );
  }
  const reason = input.action === 'resume' ? undefined : `${to.toLowerCase()} by an operator (npm run campaign -- ${input.action})`;
  const moved = await moveCampaign({ record: asked, from, to, actor: 'operator', ...(reason ? { reason } : {}) }, steeringDeps(input));
  if (!moved) {
    out(`campaign ${campaignId}: ${to} asked; the item changed while it was applied, so the ticker applies it within a minute`);
    return to;
  }
  out(`campaign ${campaignId}: ${from} → ${to}`);
  out(EFFECT_OF[to] ?? '');
  return to;
}
