/**
 * Counts AWS SDK requests by service and command, with a middleware on each client: the
 * benchmark's "requests per job" figures are counted, not estimated. Retries inside the SDK
 * count once per command, as AWS bills them per attempt only when they reach the service.
 */
export class RequestCounter {
  readonly counts = new Map<string, number>();
  /** Called with every command's input, e.g. for tests that check what was sent to SQS. */
  readonly observers: Array<(key: string, input: Record<string, unknown>) => void> = [];

  instrument(client: { middlewareStack: { add: (mw: never, options: { step: 'initialize'; name: string }) => void } }, service: string): void {
    const { counts, observers } = this;
    const middleware = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input?: Record<string, unknown> }) => {
      const key = `${service}.${context.commandName ?? 'unknown'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      for (const observe of observers) observe(key, args.input ?? {});
      return next(args);
    };
    client.middlewareStack.add(middleware as never, { step: 'initialize', name: `requestCounter-${service}` });
  }

  total(service: string): number {
    let sum = 0;
    for (const [key, n] of this.counts) if (key.startsWith(`${service}.`)) sum += n;
    return sum;
  }

  byCommand(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
