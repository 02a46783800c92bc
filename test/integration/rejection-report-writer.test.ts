import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createRejectionReportWriter, rejectionReportKey } from '../../lib/adapters/s3/rejection-report-writer.ts';
import { useLocalStack } from '../helpers/local-stack.ts';

const { clients } = useLocalStack();
const bucket = `report-${randomBytes(4).toString('hex')}`;
await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
const writer = createRejectionReportWriter(clients.s3);

const campaignFor = (key: string) => ({ campaignId: 'c', audience: { bucket, key, format: 'csv' as const, recipientColumn: 'phone' } });
const lineOf = (row: number, filler = '') => `${row},+49*********78,invalid_recipient,not a number${filler}`;

async function read(key: string): Promise<string> {
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body!.transformToString();
}

async function keysUnder(prefix: string): Promise<number> {
  return (await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).KeyCount ?? 0;
}

describe('the rejection report on S3', () => {
  it('merges the parts in row order, each row once, and deletes them; merging again returns the same report', async () => {
    const campaign = campaignFor('a/audience.csv');
    // Written out of order; the first part was rewritten by a feeder that died before its checkpoint and repeats rows 201 and 250.
    const second = await writer.writePart({ campaign, firstRow: 201, lines: [lineOf(201), lineOf(250), lineOf(300)] });
    const first = await writer.writePart({ campaign, firstRow: 1, lines: [lineOf(5), lineOf(120), lineOf(201), lineOf(250)] });
    expect(first).toBe('a/audience.csv.rejections/0000000001.csv');

    const key = await writer.merge({ campaign, parts: [second, first] });
    expect(key).toBe(rejectionReportKey('a/audience.csv'));
    const expected = ['row,recipient,reason,detail', ...[5, 120, 201, 250, 300].map((row) => lineOf(row))].join('\n');
    expect(await read(key)).toBe(`${expected}\n`);
    expect(await keysUnder('a/audience.csv.rejections/')).toBe(0);

    expect(await writer.merge({ campaign, parts: [second, first] })).toBe(key);
    expect(await read(key)).toBe(`${expected}\n`);
  });

  it('streams a report over 5 MiB as a multipart upload', async () => {
    const campaign = campaignFor('big/audience.csv');
    const filler = 'x'.repeat(1_000);
    const parts: string[] = [];
    for (let part = 0; part < 3; part++) {
      const lines = Array.from({ length: 2_500 }, (_, i) => lineOf(part * 2_500 + i + 1, filler));
      parts.push(await writer.writePart({ campaign, firstRow: part * 2_500 + 1, lines }));
    }
    const key = await writer.merge({ campaign, parts });
    // A multipart object's ETag ends in -<parts>.
    expect((await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag).toMatch(/-2"$/);
    const report = await read(key);
    const lines = report.trimEnd().split('\n');
    expect(Buffer.byteLength(report)).toBeGreaterThan(7 * 1024 * 1024);
    expect(lines).toHaveLength(7_501);
    expect(lines.slice(1).map((line) => Number.parseInt(line, 10))).toEqual(Array.from({ length: 7_500 }, (_, i) => i + 1));
  });

  it('refuses to merge when a part is missing and no report was merged before', async () => {
    const campaign = campaignFor('gone/audience.csv');
    await expect(writer.merge({ campaign, parts: ['gone/audience.csv.rejections/0000000001.csv'] })).rejects.toThrow(/missing/);
  });
});
