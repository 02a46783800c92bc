import { afterEach, describe, expect, it } from 'vitest';
import { recipientFraction } from '../src/rules.ts';
import type { ScenarioInput } from '../src/scenario.ts';
import { type Simulator, startSimulator } from '../src/server.ts';
import { marketingBody, outcomeOf, PHONE_ID, send, template } from './helpers/sim-client.ts';

const FAST_PHONE = { id: PHONE_ID, ratePerSecond: 5000 };
const numberAt = (i: number): string => `+4917${String(i).padStart(8, '0')}`;

describe('simulator: scenario rules', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  async function withRules(rules: ScenarioInput['rules'], extra: ScenarioInput = {}): Promise<Simulator> {
    sim = await startSimulator({ phoneNumbers: [FAST_PHONE], pairRateLimit: false, rules, ...extra });
    return sim;
  }

  describe('matchers', () => {
    it('recipients: exact numbers, with or without "+"', async () => {
      const s = await withRules([{ recipients: ['+4915112345678', '4915100000002'], error: 131000 }]);
      expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe(131000);
      expect(outcomeOf(await send(s, marketingBody('4915112345678')))).toBe(131000);
      expect(outcomeOf(await send(s, marketingBody('+4915100000002')))).toBe(131000);
      expect(outcomeOf(await send(s, marketingBody('+4915112345679')))).toBe('accepted');
    });

    it('recipientPrefix', async () => {
      const s = await withRules([{ recipientPrefix: '+49151', error: 131016 }]);
      expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe(131016);
      expect(outcomeOf(await send(s, marketingBody('4915112345678')))).toBe(131016);
      expect(outcomeOf(await send(s, marketingBody('+4916012345678')))).toBe('accepted');
    });

    it('recipientSuffix', async () => {
      const s = await withRules([{ recipientSuffix: '13', error: 133004 }]);
      expect(outcomeOf(await send(s, marketingBody('+4915112345613')))).toBe(133004);
      expect(outcomeOf(await send(s, marketingBody('+4915112345631')))).toBe('accepted');
    });

    it('template', async () => {
      const s = await withRules([{ template: 'order_update', error: 132015 }]);
      expect(
        outcomeOf(await send(s, marketingBody('+4915112345678', { template: template('order_update') }), { endpoint: 'messages' })),
      ).toBe(132015);
      expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe('accepted');
    });

    it('phoneNumberId', async () => {
      const s = await withRules([{ phoneNumberId: '200', error: 131057 }], { phoneNumbers: [FAST_PHONE, { id: '200' }] });
      expect(outcomeOf(await send(s, marketingBody('+4915112345678'), { phoneNumberId: '200' }))).toBe(131057);
      expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe('accepted');
    });

    it('fraction: picks about that share of recipients, always the same ones', async () => {
      const s = await withRules([{ name: 'flaky', fraction: 0.25, error: 131000 }]);
      const numbers = Array.from({ length: 400 }, (_, i) => numberAt(i));
      const first = (await Promise.all(numbers.map((to) => send(s, marketingBody(to))))).map(outcomeOf);
      const again = (await Promise.all(numbers.map((to) => send(s, marketingBody(to))))).map(outcomeOf);
      expect(again).toEqual(first);
      const hit = first.filter((o) => o === 131000).length;
      expect(hit).toBeGreaterThan(400 * 0.17);
      expect(hit).toBeLessThan(400 * 0.33);
      // The decision is the documented hash of the rule's name and the number's digits.
      for (const [i, to] of numbers.entries()) expect(first[i] === 131000).toBe(recipientFraction('flaky', to.slice(1)) < 0.25);
    });

    it('fraction: 0 matches nobody and 1 matches everybody', async () => {
      const s = await withRules([
        { fraction: 0, error: 131000 },
        { fraction: 1, error: 131016 },
      ]);
      expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe(131016);
    });

    it('all given matchers must match; a rule without matchers matches every send', async () => {
      const s = await withRules([{ recipientPrefix: '+49', recipientSuffix: '7', error: 131000 }, { messageStatus: 'paused' }]);
      expect(outcomeOf(await send(s, marketingBody('+4915112345677')))).toBe(131000);
      const other = await send(s, marketingBody('+4415112345677'));
      expect(other.json.messages?.[0]?.message_status).toBe('paused');
    });

    it('the first matching rule wins', async () => {
      const s = await withRules([
        { recipientSuffix: '8', error: 131000 },
        { recipientPrefix: '+49', error: 131016 },
      ]);
      expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe(131000);
      expect(outcomeOf(await send(s, marketingBody('+4915112345679')))).toBe(131016);
    });
  });

  describe('times', () => {
    it('fails the first N sends per recipient, then falls through (“fails twice, then succeeds”)', async () => {
      const s = await withRules([{ recipientSuffix: '1', times: 2, error: 131000 }]);
      const a = '+4915100000001';
      const b = '+4915100000011';
      const outcomes = [];
      for (const to of [a, a, b, a, b, b, a]) outcomes.push(outcomeOf(await send(s, marketingBody(to))));
      expect(outcomes).toEqual([131000, 131000, 131000, 'accepted', 131000, 'accepted', 'accepted']);
      expect(s.acceptedFor(a)).toHaveLength(2);

      s.reset(); // forgets the counts
      expect(outcomeOf(await send(s, marketingBody(a)))).toBe(131000);
    });

    it('falls through to the next matching rule once used up', async () => {
      const s = await withRules([
        { recipients: ['+4915100000001'], times: 1, error: 131016 },
        { recipients: ['+4915100000001'], times: 1, error: 133004 },
        { recipients: ['+4915100000001'], error: 131026 },
      ]);
      const outcomes = [];
      for (let i = 0; i < 4; i += 1) outcomes.push(outcomeOf(await send(s, marketingBody('+4915100000001'))));
      expect(outcomes).toEqual([131016, 133004, 131026, 131026]);
    });
  });

  describe('effects', () => {
    it('error: fills in Meta’s message, details, and HTTP status from the table', async () => {
      const s = await withRules([
        { recipients: ['+4915100000001'], error: 134102 },
        { recipients: ['+4915100000002'], error: 190 },
        { recipients: ['+4915100000003'], error: 10 },
        { recipients: ['+4915100000004'], error: 131009, errorDetails: 'Ad account sync incomplete.' },
        { recipients: ['+4915100000005'], error: 250 },
      ]);
      const unavailable = await send(s, marketingBody('+4915100000001'));
      expect(unavailable.status).toBe(500);
      expect(unavailable.json.error?.message).toMatch(/^\(#134102\) /);
      const token = await send(s, marketingBody('+4915100000002'));
      expect(token.status).toBe(401);
      expect(token.json.error).toMatchObject({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
      expect((await send(s, marketingBody('+4915100000003'))).status).toBe(403);
      const custom = await send(s, marketingBody('+4915100000004'));
      expect(custom.json.error?.error_data?.details).toBe('Ad account sync incomplete.');
      const permissionRange = await send(s, marketingBody('+4915100000005'));
      expect(permissionRange.json.error?.code).toBe(250);
      expect(permissionRange.status).toBe(403);
    });

    it('messageStatus: answers 200 with that status', async () => {
      const s = await withRules([{ recipientSuffix: '1', messageStatus: 'held_for_quality_assessment' }]);
      const held = await send(s, marketingBody('+4915100000001'));
      expect(held.status).toBe(200);
      expect(held.json.messages?.[0]?.message_status).toBe('held_for_quality_assessment');
      expect(s.calls()[0]?.messageStatus).toBe('held_for_quality_assessment');
    });

    it('async: answers 200 and keeps the rule and its reserved outcome in the call record', async () => {
      const s = await withRules([{ name: 'per-user-limit', recipientSuffix: '1', async: { failWith: 131049 } }]);
      const result = await send(s, marketingBody('+4915100000001'));
      expect(result.status).toBe(200);
      expect(s.calls()[0]).toMatchObject({
        outcome: 'accepted',
        wamid: result.json.messages?.[0]?.id,
        rule: { index: 0, name: 'per-user-limit', async: { failWith: 131049 } },
      });
    });

    it('latencyMs: a global delay, replaced by a matching rule’s', async () => {
      const s = await withRules([{ recipientSuffix: '1', latencyMs: 250 }], { latencyMs: { min: 60, max: 80 } });
      let started = performance.now();
      await send(s, marketingBody('+4915100000002'));
      const globalDelay = performance.now() - started;
      expect(globalDelay).toBeGreaterThanOrEqual(55);
      expect(globalDelay).toBeLessThan(240);
      started = performance.now();
      await send(s, marketingBody('+4915100000001'));
      expect(performance.now() - started).toBeGreaterThanOrEqual(245);
      expect(s.calls().map((call) => call.latencyMs)).toEqual([expect.any(Number), 250]);
    });

    it('timeout: never answers; the client gives up, and stop() still closes promptly', async () => {
      const s = await withRules([{ recipientSuffix: '1', timeout: true }]);
      const started = performance.now();
      await expect(send(s, marketingBody('+4915100000001'), { signal: AbortSignal.timeout(200) })).rejects.toThrow(
        expect.objectContaining({ name: 'TimeoutError' }),
      );
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);
      expect(s.calls()[0]).toMatchObject({ outcome: 'timeout', httpStatus: undefined });
      expect(outcomeOf(await send(s, marketingBody('+4915100000002')))).toBe('accepted');

      const hanging = send(s, marketingBody('+4915100000001')).then(
        () => 'answered',
        () => 'failed',
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stopStarted = performance.now();
      await s.stop();
      expect(performance.now() - stopStarted).toBeLessThan(500);
      expect(await hanging).toBe('failed');
    });

    it('stop() also cancels answers still waiting on latency', async () => {
      const s = await withRules([], { latencyMs: 5000 });
      const pending = send(s, marketingBody('+4915100000001')).then(
        () => 'answered',
        () => 'failed',
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stopStarted = performance.now();
      await s.stop();
      expect(performance.now() - stopStarted).toBeLessThan(500);
      expect(await pending).toBe('failed');
    });

    it('reset: destroys the socket without an answer', async () => {
      const s = await withRules([{ recipientSuffix: '1', reset: true, times: 1 }]);
      await expect(send(s, marketingBody('+4915100000001'))).rejects.toThrow(TypeError);
      expect(s.calls()[0]).toMatchObject({ outcome: 'reset', httpStatus: undefined });
      expect(outcomeOf(await send(s, marketingBody('+4915100000001')))).toBe('accepted');
    });
  });

  describe('runtime scenario changes', () => {
    it('setScenario replaces the rules and POST /_sim/scenario does the same over HTTP', async () => {
      const s = await withRules([]);
      expect(outcomeOf(await send(s, marketingBody('+4915100000001')))).toBe('accepted');
      s.setScenario({ phoneNumbers: [FAST_PHONE], rules: [{ recipientSuffix: '1', error: 131000 }] });
      expect(outcomeOf(await send(s, marketingBody('+4915100000001')))).toBe(131000);

      const response = await fetch(`${s.url}/_sim/scenario`, {
        method: 'POST',
        body: JSON.stringify({ phoneNumbers: [FAST_PHONE], rules: [{ recipientSuffix: '1', error: 131016 }] }),
      });
      expect(response.status).toBe(200);
      expect(outcomeOf(await send(s, marketingBody('+4915100000001')))).toBe(131016);
      const current = (await (await fetch(`${s.url}/_sim/scenario`)).json()) as { rules: unknown[] };
      expect(current.rules).toEqual([{ recipientSuffix: '1', error: 131016 }]);
    });

    it('POST /_sim/scenario rejects an invalid scenario with 400, names the field, and keeps the old one', async () => {
      const s = await withRules([{ recipientSuffix: '1', error: 131000 }]);
      const response = await fetch(`${s.url}/_sim/scenario`, { method: 'POST', body: JSON.stringify({ rules: [{ error: 999 }] }) });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { issues: string[] } };
      expect(body.error.issues).toEqual([expect.stringMatching(/^rules\[0\]\.error: 999 is not an error code/)]);
      expect(outcomeOf(await send(s, marketingBody('+4915100000001')))).toBe(131000);

      const notJson = await fetch(`${s.url}/_sim/scenario`, { method: 'POST', body: '{' });
      expect(notJson.status).toBe(400);
    });
  });
});
