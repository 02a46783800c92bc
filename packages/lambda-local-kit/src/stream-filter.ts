import type { DynamoDBRecord } from 'aws-lambda';

/**
 * An event filter as Lambda's FilterCriteria take it: an object whose leaves are arrays of the
 * values a record's field may have (e.g. `{ eventName: ['INSERT', 'MODIFY'] }`, or nested:
 * `{ dynamodb: { Keys: { id: { S: ['a'] } } } }`).
 */
export type StreamFilterPattern = Record<string, unknown>;

/**
 * Whether a record passes the filters, as Lambda filters stream records before batching: it passes
 * when any pattern matches (no patterns: every record). The kit supports exact values only; any
 * other syntax (`prefix`, `anything-but`, `numeric`, `exists`…) is refused at start, naming the
 * pattern, rather than matched differently than on AWS.
 */
export function compileFilterPatterns(patterns: readonly StreamFilterPattern[] | undefined): (record: DynamoDBRecord) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  for (const pattern of patterns) validatePattern(pattern, JSON.stringify(pattern));
  return (record) => patterns.some((pattern) => matches(pattern, record));
}

function validatePattern(pattern: unknown, whole: string): void {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) {
    throw new Error(`filter pattern ${whole}: expected an object of fields`);
  }
  for (const [field, value] of Object.entries(pattern)) {
    if (Array.isArray(value)) {
      const unsupported = value.find((v) => typeof v !== 'string' && typeof v !== 'number');
      if (value.length === 0 || unsupported !== undefined) {
        throw new Error(
          `filter pattern ${whole}: field ${field} lists ${JSON.stringify(unsupported ?? [])}; the kit supports exact string or number values only`,
        );
      }
    } else validatePattern(value, whole);
  }
}

function matches(pattern: StreamFilterPattern, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = (value as Record<string, unknown>)[field];
    if (Array.isArray(expected)) return (expected as unknown[]).includes(actual);
    return matches(expected as StreamFilterPattern, actual);
  });
}
