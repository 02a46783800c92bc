import { describe, expect, it } from 'vitest';
import { templateInfoFrom } from '../../../../lib/adapters/meta/template-components.ts';

/** Templates as Meta's template API returns them (components and buttons in capitals). */
describe('templateInfoFrom', () => {
  const base = { id: '806312974732579', name: 'autumn_sale', language: 'en_US', status: 'APPROVED', category: 'MARKETING' };

  it('reads a positional template with a text header, body and buttons', () => {
    const template = {
      ...base,
      parameter_format: 'POSITIONAL',
      quality_score: { score: 'GREEN', date: 1_733_000_000 },
      message_send_ttl_seconds: 86_400,
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Our {{1}} is on!', example: { header_text: ['Summer Sale'] } },
        { type: 'BODY', text: 'Hi {{1}}, take {{2}} off. {{1}}, hurry!', example: { body_text: [['Pablo', '20 %']] } },
        { type: 'FOOTER', text: 'Reply STOP to opt out' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'URL', text: 'Shop', url: 'https://shop.example/{{1}}', example: ['https://shop.example/summer'] },
            { type: 'URL', text: 'Terms', url: 'https://shop.example/terms' },
            { type: 'QUICK_REPLY', text: 'Stop promotions' },
            { type: 'COPY_CODE', example: '250FF' },
            { type: 'PHONE_NUMBER', text: 'Call', phone_number: '15550051310' },
          ],
        },
      ],
    };
    expect(templateInfoFrom(template)).toEqual({
      ...base,
      qualityScore: 'GREEN',
      parameterFormat: 'POSITIONAL',
      bodyParameters: { count: 2, names: [] },
      headerTextParameter: true,
      buttons: [
        { index: 0, type: 'url', takesParameter: true },
        { index: 1, type: 'url', takesParameter: false },
        { index: 2, type: 'quick_reply', takesParameter: true },
        { index: 3, type: 'copy_code', takesParameter: true },
        { index: 4, type: 'phone_number', takesParameter: false },
      ],
      ttlSeconds: 86_400,
    });
  });

  it('reads named parameters from the text, or from the example when the text has none', () => {
    const named = (text: string | undefined) =>
      templateInfoFrom({
        ...base,
        parameter_format: 'NAMED',
        components: [
          {
            type: 'BODY',
            ...(text !== undefined ? { text } : {}),
            example: { body_text_named_params: [{ param_name: 'first_name', example: 'Pablo' }] },
          },
        ],
      }).bodyParameters;
    expect(named('Hi {{first_name}}, {{ discount }} off')).toEqual({ count: 2, names: ['first_name', 'discount'] });
    expect(named(undefined)).toEqual({ count: 1, names: ['first_name'] });
  });

  it('gives no header parameter to a media header or a plain one, and no TTL or quality when Meta sends none', () => {
    const info = templateInfoFrom({
      ...base,
      components: [
        { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW…'] } },
        { type: 'BODY', text: 'Autumn is here.' },
      ],
    });
    expect(info).toMatchObject({
      parameterFormat: 'POSITIONAL',
      bodyParameters: { count: 0, names: [] },
      headerTextParameter: false,
      buttons: [],
    });
    expect(info.ttlSeconds).toBeUndefined();
    expect(info.qualityScore).toBeUndefined();
    const plain = templateInfoFrom({ ...base, components: [{ type: 'HEADER', format: 'TEXT', text: 'Autumn sale' }] });
    expect(plain.headerTextParameter).toBe(false);
  });
});
