import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../src/scenario.ts';
import { type Simulator, startSimulator } from '../src/server.ts';
import { derivedTemplateId } from '../src/template-catalog.ts';
import { TOKEN } from './helpers/sim-client.ts';

/**
 * A template's HEADER and BUTTONS components in Graph answers, in Meta's shapes:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components
 */

const WABA_ID = '102290129340398';

describe('simulator: header and buttons components of a template', () => {
  let sim: Simulator | undefined;

  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  async function components(name: string, language: string): Promise<unknown> {
    const url = `${sim!.url}/v24.0/${derivedTemplateId(name, language)}?fields=components`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    return ((await response.json()) as { components: unknown }).components;
  }

  it('shows a text header with its example, the body, then the buttons in order', async () => {
    sim = await startSimulator({
      templates: [
        {
          name: 'autumn_sale',
          category: 'MARKETING',
          languages: ['en_US'],
          bodyParams: 1,
          wabaId: WABA_ID,
          headerText: 'Our {{1}} is on!',
          buttons: [
            { type: 'URL', text: 'Shop', url: 'https://shop.example/sale/{{1}}' },
            { type: 'URL', text: 'Terms', url: 'https://shop.example/terms' },
            { type: 'QUICK_REPLY', text: 'Stop promotions' },
            { type: 'COPY_CODE', example: 'AUTUMN20' },
            { type: 'PHONE_NUMBER', text: 'Call us', phoneNumber: '+15550001111' },
          ],
        },
      ],
    });
    expect(await components('autumn_sale', 'en_US')).toEqual([
      { type: 'HEADER', format: 'TEXT', text: 'Our {{1}} is on!', example: { header_text: ['sample_header'] } },
      { type: 'BODY', text: 'Hello {{1}}.', example: { body_text: [['sample_1']] } },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Shop', url: 'https://shop.example/sale/{{1}}', example: ['https://shop.example/sale/sample'] },
          { type: 'URL', text: 'Terms', url: 'https://shop.example/terms' },
          { type: 'QUICK_REPLY', text: 'Stop promotions' },
          { type: 'COPY_CODE', text: 'Copy offer code', example: 'AUTUMN20' },
          { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550001111' },
        ],
      },
    ]);
  });

  it('names a named header parameter, and leaves a header without one without example', async () => {
    sim = await startSimulator({
      templates: [
        {
          name: 'named_sale',
          category: 'MARKETING',
          languages: ['en_US'],
          parameterFormat: 'NAMED',
          namedParams: ['first_name'],
          headerText: 'Hi {{first_name}}',
        },
        { name: 'plain_sale', category: 'MARKETING', languages: ['en_US'], headerText: 'Autumn sale' },
      ],
    });
    expect(await components('named_sale', 'en_US')).toContainEqual({
      type: 'HEADER',
      format: 'TEXT',
      text: 'Hi {{first_name}}',
      example: { header_text_named_params: [{ param_name: 'first_name', example: 'sample_first_name' }] },
    });
    expect(await components('plain_sale', 'en_US')).toEqual([
      { type: 'HEADER', format: 'TEXT', text: 'Autumn sale' },
      { type: 'BODY', text: 'Hello from the simulator.' },
    ]);
  });

  it('refuses a button of a kind it does not know, and a header over 60 characters', () => {
    const template = { name: 'x', category: 'MARKETING' as const, languages: ['en_US'] };
    expect(() => parseScenario({ templates: [{ ...template, buttons: [{ type: 'FLOW', text: 'Go' }] }] })).toThrow(/buttons/);
    expect(() => parseScenario({ templates: [{ ...template, headerText: 'h'.repeat(61) }] })).toThrow(/headerText/);
  });
});
