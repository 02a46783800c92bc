import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../src/scenario.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../src/server.ts';
import { marketingBody, outcomeOf, PHONE_ID, send, steppedClock, template } from './helpers/sim-client.ts';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

/**
 * Template changes driven through the control API: the webhooks Meta documents
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update,
 * …/message_template_quality_update, …/template_category_update) and the send refusals that
 * follow (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
 */

/** A control answer, loosely typed so that tests can probe both shapes. */
interface ControlJson {
  error?: { message: string; issues?: string[] };
  [field: string]: unknown;
}

const SECRET = 'template-secret';
const WABA_ID = '102290129340398';
const SALE_ID = '806312974732579';
const START = 1_800_000_000_000;

const SCENARIO: SimulatorOptions = {
  phoneNumbers: [{ id: PHONE_ID, ratePerSecond: 1000 }],
  templates: [
    { id: SALE_ID, name: 'autumn_sale', category: 'MARKETING', languages: ['en_US'], bodyParams: 1 },
    { id: '806312974732580', name: 'autumn_sale', category: 'MARKETING', languages: ['de_DE'], bodyParams: 1, status: 'PENDING' },
    { name: 'name_day', category: 'MARKETING', languages: ['en_US'], parameterFormat: 'NAMED', namedParams: ['first_name'] },
  ],
  webhooks: { appSecret: SECRET, wabaId: WABA_ID, delayMs: 1 },
};

describe('simulator: template changes and their webhooks', () => {
  let sim: Simulator | undefined;
  let receiver: WebhookReceiver | undefined;

  afterEach(async () => {
    await sim?.stop();
    await receiver?.close();
    sim = undefined;
    receiver = undefined;
  });

  async function start(extra: SimulatorOptions = {}): Promise<Simulator> {
    receiver = await startWebhookReceiver(SECRET);
    sim = await startSimulator({ ...SCENARIO, now: steppedClock(START).now, ...extra });
    sim.setWebhookTarget(receiver.url);
    return sim;
  }

  async function control(path: string, body: unknown): Promise<{ status: number; json: ControlJson }> {
    const response = await fetch(`${sim?.url}/_sim/${path}`, { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as ControlJson };
  }

  it('pauses a template through the control API: a signed status webhook, then sends fail with 132015', async () => {
    const s = await start();
    const answer = await control(`templates/${SALE_ID}`, { status: 'PAUSED' });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ ok: true, template: { id: SALE_ID, status: 'PAUSED' }, webhookSeqs: [1] });
    await s.webhooksIdle();
    const [posted] = receiver?.received ?? [];
    expect(posted?.signatureValid).toBe(true);
    expect(posted?.payload).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: WABA_ID,
          time: START / 1000,
          changes: [
            {
              field: 'message_template_status_update',
              value: {
                event: 'PAUSED',
                message_template_id: Number(SALE_ID),
                message_template_name: 'autumn_sale',
                message_template_language: 'en_US',
                reason: 'NONE',
                message_template_category: 'MARKETING',
                other_info: { title: 'FIRST_PAUSE', description: expect.stringContaining('paused') },
              },
            },
          ],
        },
      ],
    });
    const refused = await send(s, marketingBody('+4915112345678'));
    expect(outcomeOf(refused)).toBe(132015);
    expect(refused.json.error?.message).toBe('(#132015) Template is Paused');
  });

  it('disables with 132016 and reinstates back to sending', async () => {
    const s = await start();
    await s.updateTemplate(SALE_ID, { status: 'DISABLED', reason: 'LOW_QUALITY' });
    expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe(132016);
    const [delivery] = await s.updateTemplate(SALE_ID, { status: 'REINSTATED' });
    expect(delivery?.payload).toMatchObject({ entry: [{ changes: [{ value: { event: 'REINSTATED' } }] }] });
    expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe('accepted');
    const disabled = receiver?.received[0]?.payload.entry[0]?.changes[0]?.value as unknown;
    expect(disabled).toMatchObject({ event: 'DISABLED', reason: 'LOW_QUALITY', disable_info: { disable_date: String(START / 1000) } });
  });

  it('refuses a translation that is not approved (132001) and a language the template lacks (132001)', async () => {
    const s = await start();
    const pending = await send(s, marketingBody('+4915112345678', { template: template('autumn_sale', 'de_DE') }));
    expect(outcomeOf(pending)).toBe(132001);
    expect(pending.json.error?.error_data?.details).toBe('template name (autumn_sale) does not exist in de_DE (status PENDING)');
    expect(outcomeOf(await send(s, marketingBody('+4915112345678', { template: template('autumn_sale', 'fr_FR') })))).toBe(132001);
  });

  it('emits quality and category webhooks as Meta shapes them', async () => {
    const s = await start();
    const deliveries = await s.updateTemplate(SALE_ID, { qualityScore: 'RED', category: 'UTILITY' });
    expect(deliveries.map((delivery) => delivery.kind)).toEqual(['template', 'template']);
    expect(deliveries.map((delivery) => delivery.payload)).toEqual([
      expect.objectContaining({
        entry: [
          expect.objectContaining({
            changes: [
              {
                field: 'message_template_quality_update',
                value: {
                  previous_quality_score: 'UNKNOWN',
                  new_quality_score: 'RED',
                  message_template_id: Number(SALE_ID),
                  message_template_name: 'autumn_sale',
                  message_template_language: 'en_US',
                },
              },
            ],
          }),
        ],
      }),
      expect.objectContaining({
        entry: [
          expect.objectContaining({
            changes: [
              {
                field: 'template_category_update',
                value: {
                  message_template_id: Number(SALE_ID),
                  message_template_name: 'autumn_sale',
                  message_template_language: 'en_US',
                  previous_category: 'MARKETING',
                  new_category: 'UTILITY',
                },
              },
            ],
          }),
        ],
      }),
    ]);
    // Now a utility template: the MM API refuses it.
    expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe(134100);
  });

  it('answers 404 for an unknown template and 400 for an invalid change', async () => {
    await start();
    expect((await control('templates/123', { status: 'PAUSED' })).status).toBe(404);
    const invalid = await control(`templates/${SALE_ID}`, { status: 'SLEEPING' });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error?.issues).toEqual([expect.stringMatching(/^status:/)]);
    expect((await control(`templates/${SALE_ID}`, {})).json.error?.issues).toEqual(['(root): needs status, qualityScore or category']);
  });

  it('changes state without a target, emitting nothing', async () => {
    const s = await startSimulator({ ...SCENARIO });
    sim = s;
    expect(await s.updateTemplate(SALE_ID, { status: 'PAUSED' })).toEqual([]);
    expect(s.templates().find((candidate) => candidate.id === SALE_ID)?.status).toBe('PAUSED');
  });

  it('checks named parameters by name', async () => {
    const s = await start();
    const named = (parameterName: string): Record<string, unknown> =>
      marketingBody('+4915112345678', {
        template: {
          name: 'name_day',
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: parameterName, text: 'Jasper' }] }],
        },
      });
    expect(outcomeOf(await send(s, named('first_name')))).toBe('accepted');
    const wrong = await send(s, named('last_name'));
    expect(outcomeOf(wrong)).toBe(132000);
    expect(wrong.json.error?.error_data?.details).toMatch(/parameter_name "last_name"/);
  });
});

describe('scenario: template and phone number fields', () => {
  const issuesOf = (input: unknown): readonly string[] => {
    try {
      parseScenario(input);
    } catch (error) {
      if (error instanceof ScenarioError) return error.issues;
      throw error;
    }
    return [];
  };

  it.each([
    [
      { templates: [{ id: '1', name: 'x', category: 'MARKETING', languages: ['en_US', 'de_DE'] }] },
      'templates[0].id: needs exactly one language',
    ],
    [{ templates: [{ name: 'x', category: 'MARKETING', languages: ['en_US'], parameterFormat: 'NAMED' }] }, 'templates[0].namedParams:'],
    [{ templates: [{ name: 'x', category: 'MARKETING', languages: ['en_US'], status: 'SLEEPING' }] }, 'templates[0].status:'],
    [
      {
        templates: [
          { name: 'x', category: 'MARKETING', languages: ['en_US'] },
          { name: 'x', category: 'MARKETING', languages: ['en_US'] },
        ],
      },
      'templates[1].name: duplicate "x in en_US"',
    ],
    [{ phoneNumbers: [{ id: '1', throughputLevel: 'TURBO' }] }, 'phoneNumbers[0].throughputLevel:'],
  ])('rejects %j', (input, expected) => {
    expect(issuesOf(input).some((issue) => issue.startsWith(expected))).toBe(true);
  });

  it('keeps a scenario without the new fields as it was: default templates, any other name refused with 132001', async () => {
    const s = await startSimulator({});
    try {
      expect(outcomeOf(await send(s, marketingBody('+4915112345678')))).toBe('accepted');
      expect(outcomeOf(await send(s, marketingBody('+4915112345679', { template: template('winter_sale') })))).toBe(132001);
      expect(s.templates().map((translation) => [translation.name, translation.language, translation.status])).toEqual([
        ['autumn_sale', 'en_US', 'APPROVED'],
        ['autumn_sale', 'de_DE', 'APPROVED'],
        ['order_update', 'en_US', 'APPROVED'],
        ['order_update', 'de_DE', 'APPROVED'],
      ]);
    } finally {
      await s.stop();
    }
  });
});
