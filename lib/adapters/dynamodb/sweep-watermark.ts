import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SweepWatermark } from '../../ports/sweep-watermark.ts';
import { writeIfAllowed } from './dynamo.ts';

export interface SweepWatermarkOptions {
  /** The campaigns table: the sweep writes its counters there already. */
  tableName: string;
}

/** Not a campaign: campaign ids cannot contain `#`. */
const WATERMARK_KEY = { campaignId: 'sweep#dropped', item: 'watermark' };

export function createSweepWatermark(doc: DynamoDBDocumentClient, options: SweepWatermarkOptions): SweepWatermark {
  return {
    async read() {
      const result = await doc.send(new GetCommand({ TableName: options.tableName, Key: WATERMARK_KEY, ConsistentRead: true }));
      const sweptUntil = result.Item?.sweptUntil as string | undefined;
      return sweptUntil === undefined ? undefined : Date.parse(sweptUntil);
    },

    advance(from, to, now) {
      return writeIfAllowed(
        doc,
        new UpdateCommand({
          TableName: options.tableName,
          Key: WATERMARK_KEY,
          ConditionExpression: from === undefined ? 'attribute_not_exists(sweptUntil)' : 'sweptUntil = :from',
          UpdateExpression: 'SET sweptUntil = :to, updatedAt = :now',
          ExpressionAttributeValues: {
            ':to': new Date(to).toISOString(),
            ':now': new Date(now).toISOString(),
            ...(from === undefined ? {} : { ':from': new Date(from).toISOString() }),
          },
        }),
      );
    },
  };
}
