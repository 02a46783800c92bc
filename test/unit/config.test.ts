import { describe, expect, it } from 'vitest';
import { SANCTIONED_COUNTRIES } from '../../lib/domain/phone.ts';
import { validateJobBody } from '../../lib/domain/validate-job.ts';

const policy = { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] };
const _validate = (value: unknown) => validateJobBody(typeof value === 'string' ? value : JSON.stringify(value), policy);

describe('loadSendConfig', async () => {
  const { loadSendConfig } = await import('../../lib/config.ts');
  const { ConfigError } = await import('../../lib/errors.ts');
  const valid = {
    JOBS_TABLE: 'jobs',
    USERS_TABLE: 'users',
    CAMPAIGNS_TABLE: 'campaigns',
    CONTROL_TABLE: 'control',
    SEND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/send',
    SEND_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/1/send-dlq',
    DEFERRED_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/deferred',
    META_ACCESS_TOKEN_PARAMETER: '/svc/prod/meta-access-token',
    WHATSAPP_ACCOUNTS: '{"102290129340398":["106540352242922"]}',
  };

  it('reads the accounts served, and needs them', () => {
    expect(loadSendConfig(valid).accounts.numbersByAccount).toEqual({ '102290129340398': ['106540352242922'] });
    expect(() => loadSendConfig({ ...valid, WHATSAPP_ACCOUNTS: undefined })).toThrow(/WHATSAPP_ACCOUNTS/);
  });

  it('applies the documented defaults', () => {
    const config = loadSendConfig(valid);
    expect(config.meta).toMatchObject({ apiVersion: 'v26.0', timeoutMs: 10_000, baseUrl: 'https://graph.facebook.com' });
    expect(config.message).toEqual({ productPolicy: 'STRICT', sendCallbackData: true });
    expect(config.retryPolicy).toMatchObject({ perUserLimitDelaySeconds: 86_400, maxLimitAttempts: 3 });
    expect(config.recipientPolicy.blockedCountries).toEqual(['CU', 'IR', 'KP', 'SY']);
  });

  it('lets a held job look again within a minute by default, so that a close or a resume shows within one', () => {
    const { holdSeconds } = loadSendConfig(valid).retryPolicy;
    // The hold's SQS delay, then the send queue's 1 s batching window and the batch's controls read (at most 1 s old).
    expect(holdSeconds + 1 + 1).toBeLessThanOrEqual(60);
    expect(loadSendConfig({ ...valid, HOLD_SECONDS: '900' }).retryPolicy.holdSeconds).toBe(900);
  });

  it('parses lists and retry-wait overrides', () => {
    const config = loadSendConfig({ ...valid, BLOCKED_COUNTRIES: 'CU, US', META_RETRY_WAITS: '{"131000":5}' });
    expect(config.recipientPolicy.blockedCountries).toEqual(['CU', 'US']);
    expect(config.retryPolicy.waitOverrides).toEqual({ 131000: 5 });
  });

  it('names every bad variable at once', () => {
    const env = { ...valid, JOBS_TABLE: undefined, META_PRODUCT_POLICY: 'LOOSE', META_RETRY_WAITS: '{"131000":5000}' };
    expect(() => loadSendConfig(env)).toThrow(ConfigError);
    expect(() => loadSendConfig(env)).toThrow(/JOBS_TABLE/);
    expect(() => loadSendConfig(env)).toThrow(/META_PRODUCT_POLICY/);
    expect(() => loadSendConfig(env)).toThrow(/META_RETRY_WAITS/);
  });
});
