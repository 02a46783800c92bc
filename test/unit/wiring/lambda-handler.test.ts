import type { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { lambdaHandler } from '../../../lib/wiring/lambda-handler.ts';

/** A function definition whose handler returns its runtime, with a logger that records what it is given. */
function aDefinition() {
  const lines: { message: string; facts: Record<string, unknown> }[] = [];
  const logger = { info: (message: string, facts: Record<string, unknown>) => void lines.push({ message, facts }) } as unknown as Logger;
  let built = 0;
  const handler = lambdaHandler({
    name: 'sweep',
    observe: () => ({ logger }),
    createRuntime: () => ({ built: ++built }),
    createHandler: (runtime) => () => runtime(),
  });
  return { handler, lines };
}

describe('the Lambda entry point', () => {
  it('builds the runtime once and logs one cold start line, with the load time and memory, on the first invocation only', () => {
    process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = '512';
    const { handler, lines } = aDefinition();
    expect(lines).toEqual([]);
    expect([handler(), handler(), handler()]).toEqual([{ built: 1 }, { built: 1 }, { built: 1 }]);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toBe('cold start');
    expect(lines[0]!.facts).toMatchObject({ memorySizeMb: 512 });
    expect(lines[0]!.facts.loadMs).toBeGreaterThan(0);
    expect(lines[0]!.facts.memoryUsedMb).toBeGreaterThan(10);
    delete process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
  });
});
