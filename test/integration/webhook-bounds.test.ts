import type { Message } from '@aws-sdk/client-sqs';
import { RequestCounter } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES, MAX_EVENT_DEPTH, MAX_EVENTS_PER_POST } from '../../lib/webhook/event-bounds.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { statusSteps } from '../helpers/status-steps.ts';
import { metaStatus, postWebhook, statusesPayload } from '../helpers/webhook-factories.ts';

/**
 * Signed bodies the status queue cannot carry as they are: nesting that would overflow the
 * stack where JSON is serialised, events larger than a queue batch takes, more events than Meta
 * ever sends. The webhook answers without an error, and the status function dead-letters what
 * the webhook could not queue as it came, with the reason.
 */
const webhookRequests = new RequestCounter();
/** What the webhook function put on the status queue, body by body. */
const queued: Array<{ event: { status?: Record<string, unknown> } }> = [];
webhookRequests.observers.push((key, input) => {
  if (key.startsWith('sqs.'))
    for (const entry of input.Entries as Array<{ MessageBody: string }>) queued.push(JSON.parse(entry.MessageBody));
});
const harness = await startSendHarness(baseScenario(), { functionRequestCounters: { webhook: webhookRequests } });
const url = harness.deployment.webhookUrl!;
const { sent, stateOf } = statusSteps(harness);

/** Dead-lettered status events of the status DLQ, received and left hidden, accumulated over the file. */
const deadLetters: Message[] = [];
async function deadLetteredStatus(kept: (fields: Record<string, unknown>) => boolean): Promise<Message> {
  const find = () => deadLetters.find((message) => kept(JSON.parse(message.Body!).event.status?.kept ?? {}));
  await expect
    .poll(async () => {
      deadLetters.push(...(await harness.drain('StatusDeadLetterQueue')));
      return find() !== undefined;
    })
    .toBe(true);
  return find()!;
}

const rawNested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const signedStatuses = (statuses: string[]) =>
  JSON.stringify(statusesPayload([])).replace('"statuses":[]', `"statuses":[${statuses.join(',')}]`);

describe('a signed body the queue cannot carry as it is', () => {
  it('answers 200 to statuses nested 10,000 levels deep, dead-letters them with the reason and applies their neighbour', async () => {
    const job = await sent('bounds-deep', '+4915112340001');
    const good = JSON.stringify(metaStatus({ wamid: job.wamid!, status: 'delivered', recipient: '+4915112340001' }));
    const deep = `{"id":"wamid.deep","status":"read","timestamp":"1750030073","errors":${rawNested(10_000)}}`;
    queued.length = 0;
    expect((await postWebhook(url, signedStatuses([rawNested(10_000), deep, good]))).status).toBe(200);
    const note = `nested deeper than ${MAX_EVENT_DEPTH} levels`;
    expect(queued.map((body) => body.event.status)).toEqual([
      { rejectedByWebhook: note, kept: {} },
      { rejectedByWebhook: note, kept: { id: 'wamid.deep', status: 'read', timestamp: '1750030073' } },
      JSON.parse(good),
    ]);
    const letter = await deadLetteredStatus((kept) => kept.id === 'wamid.deep');
    expect(letter.MessageAttributes?.rejectionReason?.StringValue).toBe('invalid_webhook_event');
    await deadLetteredStatus((kept) => Object.keys(kept).length === 0);
    await stateOf(job, 'delivered');
  });

  it('queues an event nested exactly as deep as allowed as it came', async () => {
    const atLimit = { id: 'wamid.at-limit', status: 'read', timestamp: '1750030073', errors: JSON.parse(rawNested(MAX_EVENT_DEPTH - 1)) };
    queued.length = 0;
    expect((await postWebhook(url, signedStatuses([JSON.stringify(atLimit)]))).status).toBe(200);
    expect(queued.map((body) => body.event.status)).toEqual([atLimit]);
  });

  it('answers 200 to an event larger than a queue batch takes and dead-letters it with its size', async () => {
    const huge = { id: 'wamid.huge', status: 'read', timestamp: '1750030073', errors: [{ code: 1, title: 'x'.repeat(MAX_EVENT_BYTES) }] };
    expect((await postWebhook(url, signedStatuses([JSON.stringify(huge)]))).status).toBe(200);
    const letter = await deadLetteredStatus((kept) => kept.id === 'wamid.huge');
    expect(JSON.parse(letter.Body!).event.status.rejectedByWebhook).toMatch(new RegExp(`^\\d+ bytes, over ${MAX_EVENT_BYTES}$`));
  });

  it('answers 400 to more events in one POST than Meta ever sends, and queues none', async () => {
    const before = webhookRequests.total('sqs');
    const answer = await postWebhook(url, signedStatuses(Array.from({ length: MAX_EVENTS_PER_POST + 1 }, () => '0')));
    expect(answer).toEqual({ status: 400, text: `unexpected payload: ${MAX_EVENTS_PER_POST + 1} events, over ${MAX_EVENTS_PER_POST}` });
    expect(webhookRequests.total('sqs')).toBe(before);
  });
});
