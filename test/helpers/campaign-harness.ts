import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { tableOf } from 'lambda-local-kit';
import type { SimulatorOptions } from 'mm-api-simulator';
import { DynamoCampaignStore } from '../../lib/adapters/dynamodb/campaign-store.ts';
import { type Campaign, type CampaignInput, campaignSchema } from '../../lib/domain/campaign-contract.ts';
import type { CampaignRecord } from '../../lib/ports/campaign-store.ts';
import type { LocalDeploymentOptions } from '../../local/deployment.ts';
import { useLocalStack } from './local-stack.ts';
import { baseScenario, PHONE_NUMBER_ID, type SendHarness, startSendHarness } from './send-harness.ts';

/** The simulator's default WhatsApp Business Account, which serverless.yml's `whatsappAccounts` lists with its numbers. */
export const BUSINESS_ACCOUNT_ID = '100000000000000';

export interface CampaignHarness extends SendHarness {
  bucket: string;
  store: DynamoCampaignStore;
  /** Moves every function's clock (and the ticker's waits) forward. */
  advance(ms: number): void;
  now(): number;
  /** Moves every function's clock to an instant (epoch ms), forward or back. */
  setClock(instant: number): void;
  putAudience(key: string, body: string): Promise<string>;
  /** The text of an object in the test bucket (e.g. a rejection report, `<audience key>.rejections.csv`). */
  readObject(key: string): Promise<string>;
  /** A campaign from the defaults (template autumn_sale en_US, body from `first_name`, audience in the test bucket) and `overrides`. */
  aCampaign(campaignId: string, overrides?: Partial<CampaignInput>): Campaign;
  create(campaign: Campaign): Promise<void>;
  record(campaignId: string): Promise<CampaignRecord>;
  /** Sets attributes on the campaign item, as an operator does in the DynamoDB console. */
  editItem(campaignId: string, values: Record<string, unknown>): Promise<void>;
  /** The send path's control item for the campaign. */
  control(campaignId: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Cancels campaigns as an operator does (the status on the item, applied by a tick) and waits
   * until their feeders have stopped: a feeder still running keeps the deployment from stopping.
   */
  cancel(...campaignIds: string[]): Promise<void>;
  /** Polls until the campaign record satisfies `done`. */
  waitForCampaign(campaignId: string, done: (record: CampaignRecord) => boolean, timeoutMs?: number): Promise<CampaignRecord>;
}

export interface CampaignHarnessOptions {
  /**
   * The campaign functions' sleeps really wait (default: they move the clock instead). The ticker
   * waits for a launch's second with that sleep, and the feeder for its next look when it may
   * enqueue nothing: a feeder that idles (an audience larger than its share of the queue) would
   * move a clock-moving sleep 5 s per look, many times a second. With real sleeps, launch campaigns
   * at or before `now()`, so that the ticker has nothing to wait for.
   */
  realSleeps?: boolean;
}

/** A local deployment with the campaign functions, an S3 bucket for audiences and a clock tests can move. */
export async function startCampaignHarness(
  simulator: SimulatorOptions = baseScenario(),
  deployment: Omit<LocalDeploymentOptions, 'endpoints' | 'metaBaseUrl'> = {},
  options: CampaignHarnessOptions = {},
): Promise<CampaignHarness> {
  const { clients } = useLocalStack();
  let offset = 0;
  const now = () => Date.now() + offset;
  const harness = await startSendHarness(simulator, {
    now,
    campaignSleep: options.realSleeps
      ? (ms: number, signal?: AbortSignal) => sleep(ms, undefined, signal ? { signal } : undefined).catch(() => undefined)
      : // The ticker waits for a launch's second: move the clock there instead of waiting.
        async (ms) => {
          offset += ms;
        },
    ...deployment,
  });
  const bucket = `audiences-${harness.deployment.stage.toLowerCase()}`;
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const campaignsTable = tableOf(harness.deployment.resources, 'CampaignsTable').name;
  const controlTable = tableOf(harness.deployment.resources, 'ControlTable').name;
  const store = new DynamoCampaignStore(clients.documents, { tableName: campaignsTable });
  const record = async (campaignId: string) => {
    const found = await store.get(campaignId);
    if (!found) throw new Error(`no campaign ${campaignId}`);
    return found;
  };
  const editItem = async (campaignId: string, values: Record<string, unknown>) => {
    const names = Object.keys(values);
    await clients.documents.send(
      new UpdateCommand({
        TableName: campaignsTable,
        Key: { campaignId, item: 'campaign' },
        UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, values[name]])),
      }),
    );
  };
  const waitForCampaign = async (campaignId: string, done: (record: CampaignRecord) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await record(campaignId);
      if (done(current)) return current;
      if (Date.now() > deadline) throw new Error(`campaign ${campaignId} not as expected in ${timeoutMs} ms: ${JSON.stringify(current)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    ...harness,
    bucket,
    store,
    advance: (ms) => {
      offset += ms;
    },
    setClock: (instant) => {
      offset = instant - Date.now();
    },
    now,
    async putAudience(key, body) {
      const { ETag } = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      return ETag!;
    },
    async readObject(key) {
      const { Body } = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Body!.transformToString();
    },
    aCampaign: (campaignId, overrides = {}) =>
      campaignSchema.parse({
        schemaVersion: 1,
        campaignId,
        phoneNumberId: PHONE_NUMBER_ID,
        template: { name: 'autumn_sale', language: 'en_US', body: [{ column: 'first_name' }] },
        audience: { bucket, key: `${campaignId}.csv`, format: 'csv' },
        launch: { at: new Date(now() + 10_000).toISOString() },
        ...overrides,
      }),
    async create(campaign) {
      if (!(await store.create(campaign, now()))) throw new Error(`campaign ${campaign.campaignId} exists`);
    },
    record,
    editItem,
    async control(campaignId) {
      const { Item } = await clients.documents.send(
        new GetCommand({ TableName: controlTable, Key: { key: `campaign#${campaignId}` }, ConsistentRead: true }),
      );
      return Item;
    },
    async cancel(...campaignIds) {
      for (const campaignId of campaignIds) await editItem(campaignId, { status: 'CANCELLED' });
      await harness.deployment.tickCampaigns();
      for (const campaignId of campaignIds) {
        await waitForCampaign(campaignId, (current) => current.appliedStatus === 'CANCELLED' && current.lease === undefined);
      }
    },
    waitForCampaign,
  };
}

/** An audience CSV of `rows` valid German mobile numbers with a first name each. */
export function audienceCsv(rows: number, firstNumber = 0): string {
  const lines = ['phone,first_name'];
  for (let i = 0; i < rows; i++) lines.push(`+49151${String(firstNumber + i).padStart(8, '0')},Customer ${firstNumber + i + 1}`);
  return `${lines.join('\n')}\n`;
}
