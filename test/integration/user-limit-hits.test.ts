import { describe, expect, it } from 'vitest';
import { createUserStore } from '../../lib/adapters/dynamodb/user-store.ts';
import { recipientNumber } from '../helpers/factories.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';

/**
 * A user's 131049 record on DynamoDB Local: each hit counted once, however Meta's webhooks arrive.
 * Two status batches may apply duplicates of one failed webhook at once (each read the job before
 * either moved it on), and both record the hit first, so that a crash after it loses nothing.
 */
const { clients } = useLocalStack();
const resources = await createTestResources();
const users = createUserStore(clients.documents, { tableName: resources.table('UsersTable').name, retentionDays: 1 });

describe("a user's 131049 hits", () => {
  it('counts a hit reported twice once, a late older hit once more, and keeps the newest time', async () => {
    const recipient = recipientNumber(9_400);
    const hit = Date.parse('2026-12-05T10:00:00Z');
    const now = Date.now();
    await Promise.all([users.recordLimitHit(recipient, hit, now), users.recordLimitHit(recipient, hit, now)]);
    expect(await users.getMany([recipient]).then((u) => u.get(recipient))).toMatchObject({
      limitHits: 1,
      lastLimitHitAt: new Date(hit).toISOString(),
    });
    await users.recordLimitHit(recipient, hit - 86_400_000, now);
    expect((await users.getMany([recipient])).get(recipient)).toMatchObject({ limitHits: 2, lastLimitHitAt: new Date(hit).toISOString() });
    await users.recordLimitHit(recipient, hit + 86_400_000, now);
    expect((await users.getMany([recipient])).get(recipient)).toMatchObject({
      limitHits: 3,
      lastLimitHitAt: new Date(hit + 86_400_000).toISOString(),
    });
  });
});
