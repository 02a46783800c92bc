import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';

/** One message as `SendMessageBatch` takes it, without the entry id the batch gives it. */
export type OutgoingMessage = Omit<SendMessageBatchRequestEntry, 'Id'>;

interface Pending {
  entry: OutgoingMessage;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Sends the messages handed to it in the same tick together, as `SendMessageBatch` requests of 10
 * per queue: a batch's re-dispatches cost one SQS request per 10 instead of one each. Every
 * caller's promise resolves or rejects on its own entry's result.
 */
export class CoalescingSender {
  private readonly sqs: SQSClient;
  private readonly pending = new Map<string, Pending[]>();
  private flushScheduled = false;

  constructor(sqs: SQSClient) {
    this.sqs = sqs;
  }

  send(queueUrl: string, entry: OutgoingMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const list = this.pending.get(queueUrl) ?? [];
      list.push({ entry, resolve, reject });
      this.pending.set(queueUrl, list);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const byQueue = [...this.pending];
    this.pending.clear();
    await Promise.all(
      byQueue.flatMap(([queueUrl, items]) => {
        const chunks: Pending[][] = [];
        for (let i = 0; i < items.length; i += 10) chunks.push(items.slice(i, i + 10));
        return chunks.map((chunk) => this.sendChunk(queueUrl, chunk));
      }),
    );
  }

  private async sendChunk(queueUrl: string, chunk: Pending[]): Promise<void> {
    try {
      const result = await this.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((p, i) => ({ ...p.entry, Id: String(i) })) }),
      );
      const failed = new Map((result.Failed ?? []).map((f) => [f.Id, `${f.Code}: ${f.Message ?? ''}`]));
      for (const [i, p] of chunk.entries()) {
        if (failed.has(String(i))) p.reject(new Error(`dispatch refused by SQS: ${failed.get(String(i))}`));
        else p.resolve();
      }
    } catch (error) {
      for (const p of chunk) p.reject(error as Error);
    }
  }
}
