import { describe, expect, it } from 'vitest';
import { CALLBACK_DATA_MAX_LENGTH, callbackDataOf, parseCallbackData } from '../../../lib/domain/callback-data.ts';

const ref = { campaignId: 'autumn-2026:de', token: 'row-0000000042' };

describe('callback data: the dispatch reference and the job’s own data in one field', () => {
  it('puts the reference first and gives both back', () => {
    const value = callbackDataOf(ref, 'crm=42#x');
    expect(value).toBe('wms1#autumn-2026:de#row-0000000042#crm=42#x');
    expect(parseCallbackData(value)).toEqual({ ref, jobData: 'crm=42#x' });
  });

  it('sends the reference alone for a job without data', () => {
    expect(parseCallbackData(callbackDataOf(ref, undefined))).toEqual({ ref });
  });

  it('sends the job’s data alone when both do not fit in Meta’s 512 characters', () => {
    const long = 'x'.repeat(CALLBACK_DATA_MAX_LENGTH - 10);
    expect(callbackDataOf(ref, long)).toBe(long);
    const prefix = 'wms1#autumn-2026:de#row-0000000042#'.length;
    expect(callbackDataOf(ref, 'y'.repeat(CALLBACK_DATA_MAX_LENGTH - prefix))).toHaveLength(CALLBACK_DATA_MAX_LENGTH);
    expect(callbackDataOf(ref, 'y'.repeat(CALLBACK_DATA_MAX_LENGTH - prefix + 1))).not.toMatch(/^wms1#/);
  });

  it('reads data without our marker as the job’s own', () => {
    expect(parseCallbackData('campaign=c1;job=42')).toEqual({ jobData: 'campaign=c1;job=42' });
    expect(parseCallbackData('wms1#only-two')).toEqual({ jobData: 'wms1#only-two' });
    expect(parseCallbackData(undefined)).toEqual({});
  });
});
