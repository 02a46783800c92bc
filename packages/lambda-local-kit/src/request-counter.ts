/**
 * Counts AWS SDK requests by service and command, with a middleware on each client, so that
 * figures such as "requests per job" are counted, not estimated. Retries inside the SDK count
 * once per command, as AWS bills them per attempt only when they reach the service.
 *
 * @example
 * const counter = new RequestCounter();
 * counter.instrument(clients.sqs, 'sqs');
 * // ... run the workload ...
 * counter.total('sqs'); // every SQS command sent
 * counter.byCommand(); // { 'sqs.DeleteMessageBatch': 3, 'sqs.ReceiveMessage': 12, ... }
 */
/** Tells counters apart in a client's middleware stack, which refuses two middlewares of one name. */
let countersMade = 0;

export class RequestCounter {
  /** Commands sent so far, keyed `<service>.<CommandName without "Command">` as the SDK names them. */
  readonly counts = new Map<string, number>();
  /** Called with every command's input, e.g. for tests that check what was sent to SQS. */
  readonly observers: Array<(key: string, input: Record<string, unknown>) => void> = [];
  /** Several counters may count one client (e.g. every request, and one function's apart). */
  private readonly id = ++countersMade;

  /** Adds the counting middleware to an SDK v3 client; `service` prefixes its keys (e.g. `sqs`). */
  instrument(
    client: { middlewareStack: { add: (mw: never, options: { step: 'initialize'; name: string }) => void } },
    service: string,
  ): void {
    const { counts, observers } = this;
    const middleware =
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input?: Record<string, unknown> }) => {
        const key = `${service}.${context.commandName ?? 'unknown'}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        for (const observe of observers) observe(key, args.input ?? {});
        return next(args);
      };
    client.middlewareStack.add(middleware as never, { step: 'initialize', name: `requestCounter-${service}-${this.id}` });
  }

  /** All commands sent through clients instrumented as `service`. */
  total(service: string): number {
    let sum = 0;
    for (const [key, n] of this.counts) if (key.startsWith(`${service}.`)) sum += n;
    return sum;
  }

  /** The counts as a plain object, keys sorted. */
  byCommand(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
