/**
 * Loaded into the target's worker process (`node --import`): when the benchmark driver dies
 * without stopping it (its stdin pipe closes), the worker stops as if sent SIGTERM, and exits
 * for good 30 s later whatever happens, so no orphan keeps polling.
 */
process.stdin.on('end', () => {
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(1), 30_000).unref();
});
process.stdin.on('error', () => undefined);
process.stdin.resume();
// The pipe must not keep the worker alive once it is done.
(process.stdin as unknown as { unref?: () => void }).unref?.();
