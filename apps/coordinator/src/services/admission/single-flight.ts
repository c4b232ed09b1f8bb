/**
 * Concurrent calls with the same key share one call in flight; a call made after it settled starts a new one. For
 * the reads every admission makes (live workers, the budget row, a commit's bundle, an agent's cost estimate): under
 * load, 64 dispatches in flight then cost one round trip instead of 64, and none reads anything older than a read
 * it overlapped with (nothing is cached once the call has answered).
 */
export function singleFlight<A extends unknown[], R>(
  call: (...args: A) => Promise<R>,
  keyOf: (...args: A) => string,
): (...args: A) => Promise<R> {
  const inFlight = new Map<string, Promise<R>>();
  return (...args: A) => {
    const key = keyOf(...args);
    const shared = inFlight.get(key);
    if (shared) return shared;
    const started = call(...args).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
