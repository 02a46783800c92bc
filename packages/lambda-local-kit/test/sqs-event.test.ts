import { describe, expect, test } from 'vitest';
import { interpretBatchResponse } from '../src/index.ts';

describe('interpretBatchResponse', () => {
  const ids = ['m1', 'm2'];
  test.each([undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }])('%j is full success', (response) => {
    expect(interpretBatchResponse(response, ids)).toEqual({ failedIds: new Set() });
  });

  test('listed ids fail', () => {
    expect(interpretBatchResponse({ batchItemFailures: [{ itemIdentifier: 'm2' }] }, ids)).toEqual({ failedIds: new Set(['m2']) });
  });

  test.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a missing itemIdentifier', { batchItemFailures: [{ id: 'm1' }] }],
    ['an unknown itemIdentifier', { batchItemFailures: [{ itemIdentifier: 'm3' }] }],
    ['a batchItemFailures that is not a list', { batchItemFailures: 'm1' }],
    ['a response that is not an object', 'ok'],
  ])('%s fails the whole batch', (_case, response) => {
    const outcome = interpretBatchResponse(response, ids);
    expect(outcome.failedIds).toEqual(new Set(ids));
    expect(outcome.invalidResponse).toBeTruthy();
  });
});
