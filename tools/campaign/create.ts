import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type Campaign, campaignSchema } from '../../lib/domain/campaign-contract.ts';
import type { CampaignCliContext } from './context.ts';
import { invalidInput, refused } from './failure.ts';
import { launchDescription } from './format.ts';

export interface CreateInput extends CampaignCliContext {
  /** The campaign file (JSON, the campaign contract). */
  file: string;
  /** A local audience file to upload to the campaign's `audience.bucket`/`key` first. */
  audienceFile?: string | undefined;
}

/** Reads and checks the campaign file; every problem is named at once (`path: message`). */
export async function readCampaignFile(file: string): Promise<Campaign> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw invalidInput(`cannot read ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw invalidInput(`${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = campaignSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw invalidInput(
      `${file} is not a valid campaign (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}`,
    );
  }
  return parsed.data;
}

/** The audience file's size, checked before anything is written. */
async function audienceSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    return info.size;
  } catch (error) {
    throw invalidInput(`cannot read the audience file ${file}: ${(error as Error).message}`);
  }
}

/**
 * `create <campaign.json> [--audience file]`: stores a new campaign as SCHEDULED, after uploading
 * its audience if asked. Nothing is written when the file is invalid or the id is taken.
 */
export async function createCampaign(input: CreateInput): Promise<void> {
  const campaign = await readCampaignFile(input.file);
  const launch = launchDescription(campaign);
  if (!launch) throw invalidInput(`${input.file}: launch: the launch time cannot be read`);
  const size = input.audienceFile === undefined ? undefined : await audienceSize(input.audienceFile);
  // Checked before the upload, so a taken id never replaces the audience another campaign reads.
  if (await input.campaigns.get(campaign.campaignId)) throw refused(`campaign ${campaign.campaignId} exists already`);
  const { bucket, key } = campaign.audience;
  if (input.audienceFile !== undefined) {
    await input.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(input.audienceFile), ContentLength: size }),
    );
    input.out(`uploaded ${input.audienceFile} (${size} bytes) to s3://${bucket}/${key}`);
  }
  // The check above and this write may race with another create: the write is conditional, so one wins.
  if (!(await input.campaigns.create(campaign, input.now()))) throw refused(`campaign ${campaign.campaignId} exists already`);
  input.out(`created campaign ${campaign.campaignId} (SCHEDULED)`);
  input.out(`launches at ${launch}`);
}
