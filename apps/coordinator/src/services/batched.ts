/** Most items one batch call carries; more wait for the next turn. */
const MAX_BATCH = 500;

/**
 * Calls made in the same event-loop turn go out as one call of `flushMany` (one statement for a burst of
 * admissions instead of one round trip each); each caller gets the answer for its own item, in order. A lone call
 * waits one turn at most. A failed batch fails every call in it.
 */
export function batched<I, O>(flushMany: (items: I[]) => Promise<O[]>): (item: I) => Promise<O> {
  let queue: { item: I; resolve(value: O): void; reject(reason: unknown): void }[] = [];
  const flush = (): void => {
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(MAX_BATCH);
    if (queue.length > 0) setImmediate(flush);
    flushMany(batch.map((w) => w.item)).then(
      (answers) => {
        for (const [i, w] of batch.entries()) w.resolve(answers[i] as O);
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  };
  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (queue.length === 1) setImmediate(flush);
    });
}
