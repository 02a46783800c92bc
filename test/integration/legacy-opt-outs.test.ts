import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createUserStore, preferenceKeyOf } from '../../lib/adapters/dynamodb/user-store.ts';
import { EVERY_ACCOUNT, optOutFor } from '../../lib/domain/opt-out.ts';
import { recipientNumber } from '../helpers/factories.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';

/** `npm run upgrade:opt-outs`: opt-outs from before 0.3 become every-account ones that no TTL removes. */
const { endpoints, clients } = useLocalStack();
const resources = await createTestResources();
const tableName = resources.table('UsersTable').name;
const users = createUserStore(clients.documents, { tableName, retentionDays: 400 });
const r = (n: number) => recipientNumber(9_000 + n);
const stoppedAt = '2026-06-01T10:00:00.000Z';

const item = async (recipient: string) => (await clients.documents.send(new GetCommand({ TableName: tableName, Key: { recipient } }))).Item;
const legacy = (recipient: string, fields: Record<string, unknown>) =>
  clients.documents.send(
    new PutCommand({ TableName: tableName, Item: { recipient, updatedAt: stoppedAt, expiresAt: 4_000_000_000, ...fields } }),
  );

async function upgrade(): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['tools/upgrade-opt-outs.ts'], {
      cwd: new URL('../../', import.meta.url),
      env: { ...process.env, USERS_TABLE: tableName, AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb },
    });
    return { code: 0, stdout };
  } catch (error) {
    return error as { code: number; stdout: string };
  }
}

describe('npm run upgrade:opt-outs', () => {
  it('moves each old opt-out to an every-account one without expiry, keeping limit hits and newer choices', async () => {
    await legacy(r(1), { optedOut: true, optOutSource: 'keyword', preferenceAt: stoppedAt });
    await legacy(r(2), { optedOut: true, optOutSource: '131050', preferenceAt: stoppedAt, lastLimitHitAt: stoppedAt, limitHits: 2 });
    await legacy(r(3), { optedOut: true, optOutSource: 'keyword', preferenceAt: stoppedAt });
    // r(3) told account 1 to resume after the old stop, under 0.3.
    await users.setPreference(r(3), { optedOut: false, source: 'keyword', at: Date.parse(stoppedAt) + 1_000, account: '1' }, Date.now());
    await legacy(r(4), { lastLimitHitAt: stoppedAt, limitHits: 1 });

    const run = await upgrade();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('3 opt-outs from before 0.3');

    expect(await item(r(1))).toBeUndefined();
    const moved = await item(preferenceKeyOf(r(1)));
    expect(moved).toMatchObject({ [`account#${EVERY_ACCOUNT}`]: { optedOut: true, source: 'keyword', at: stoppedAt } });
    expect(moved).not.toHaveProperty('expiresAt');
    const kept = await item(r(2));
    expect(kept).toMatchObject({ lastLimitHitAt: stoppedAt, limitHits: 2 });
    expect(kept).not.toHaveProperty('optedOut');
    expect(await item(r(4))).toMatchObject({ limitHits: 1 });

    const after = await users.getMany([r(1), r(2), r(3)]);
    expect(optOutFor(after.get(r(1)), 'any')).toEqual({ source: 'keyword' });
    expect(optOutFor(after.get(r(2)), 'any')).toEqual({ source: '131050' });
    expect(optOutFor(after.get(r(3)), '1')).toBeUndefined();
    expect(optOutFor(after.get(r(3)), '2')).toEqual({ source: 'keyword' });

    expect((await upgrade()).stdout).toContain('0 opt-outs');
  });
});
