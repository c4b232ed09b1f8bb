/**
 * Runs tasks one at a time per key (a batch or chain id), in call order, so two triggers for the same batch (a run
 * ended, the periodic tick) never decide on the same state twice. In-process: one coordinator schedules; the
 * unique (batch, step) and (chain, step) indexes on runs are the safety net.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
