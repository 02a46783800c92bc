import { describe, expect, it } from 'vitest';
import { loadWebhookConfig } from '../../../lib/config.ts';

const env = {
  STATUS_QUEUE_URL: 'http://localhost:4566/000000000000/status',
  JOBS_TABLE: 'jobs',
  META_APP_SECRET_PARAMETER: '/svc/dev/meta-app-secret',
  WEBHOOK_VERIFY_TOKEN_PARAMETER: '/svc/dev/webhook-verify-token',
  WHATSAPP_ACCOUNTS: '{"100000000000000":["100000000000001","100000000000002"]}',
};

describe('loadWebhookConfig', () => {
  it('reads the served accounts and their numbers', () => {
    expect(loadWebhookConfig(env).accounts).toEqual({ numbersByAccount: { '100000000000000': ['100000000000001', '100000000000002'] } });
  });

  it('reads the jobs table the progress statuses are written to, and refuses a configuration without it', () => {
    expect(loadWebhookConfig(env)).toMatchObject({ jobsTable: 'jobs', jobRetentionDays: 35 });
    expect(() => loadWebhookConfig({ ...env, JOBS_TABLE: undefined })).toThrow(/invalid webhook configuration: JOBS_TABLE/);
  });

  it.each([
    ['missing', undefined, /WHATSAPP_ACCOUNTS/],
    ['not JSON', '{', /WHATSAPP_ACCOUNTS: not JSON/],
    ['an account without numbers', '{"100000000000000":[]}', /WHATSAPP_ACCOUNTS/],
    ['a number under two accounts', '{"100000000000000":["100000000000001"],"200000000000000":["100000000000001"]}', /two accounts/],
  ])('refuses a WHATSAPP_ACCOUNTS that is %s', (_name, value, message) => {
    expect(() => loadWebhookConfig({ ...env, WHATSAPP_ACCOUNTS: value })).toThrow(message);
  });
});
