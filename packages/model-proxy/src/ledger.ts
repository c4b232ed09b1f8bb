import type { MeteredCall, ProxyUsage } from "./types.js";

/** The run's metered calls and the cap check; the only place spending is added up. */
export class Ledger {
  private readonly list: MeteredCall[] = [];
  private spent = 0;
  private capAnnounced = false;

  constructor(
    private readonly capUsd: number | undefined,
    private readonly onCapReached: ((spentUsd: number) => void) | undefined,
  ) {}

  record(call: MeteredCall): void {
    this.list.push(call);
    this.spent += call.costUsd;
  }

  /** True when a new model call must be refused; announces the cap the first time. */
  refuses(): boolean {
    if (this.capUsd === undefined || this.spent < this.capUsd) return false;
    if (!this.capAnnounced) {
      this.capAnnounced = true;
      this.onCapReached?.(this.spent);
    }
    return true;
  }

  get spentUsd(): number {
    return this.spent;
  }

  calls(): MeteredCall[] {
    return [...this.list];
  }

  usage(): ProxyUsage {
    const totals: ProxyUsage = {
      calls: this.list.length,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: this.spent,
      models: [],
    };
    const models = new Set<string>();
    for (const call of this.list) {
      totals.inputTokens += call.inputTokens;
      totals.outputTokens += call.outputTokens;
      totals.cacheReadTokens += call.cacheReadTokens;
      totals.cacheWriteTokens += call.cacheWriteTokens;
      if (call.model !== "") models.add(call.model);
    }
    totals.models = [...models].sort();
    return totals;
  }
}
