import type { BatchRow, ChainRow, Database, OrchestrationRequest, RunRow } from "@pancode/db";
import { resolveByPrefix } from "./orchestration-deps.js";

export type { BatchRow, ChainRow, OrchestrationRequest, RunRow };

/** The orchestration store as the read side of batches and chains uses it. */
export type OrchestrationReadStore = Pick<
  Database,
  | "getBatch"
  | "findBatchesByPrefix"
  | "listBatches"
  | "getChain"
  | "findChainsByPrefix"
  | "listChains"
  | "listRunsOf"
  | "findRunsByPrefix"
>;

/** A batch with its runs. */
export interface BatchWithRuns {
  batch: BatchRow;
  runs: RunRow[];
}

/** A chain with its runs. */
export interface ChainWithRuns {
  chain: ChainRow;
  runs: RunRow[];
}

/** Read side of batches and chains for clients: lookups by id or unique prefix, and listings. */
export class OrchestrationQueries {
  constructor(private readonly db: OrchestrationReadStore) {}

  /** A batch by full id or unique prefix (at least 4 characters). */
  batch(idOrPrefix: string): Promise<BatchRow> {
    return resolveByPrefix("batch", idOrPrefix, this.db.getBatch, (p) => this.db.findBatchesByPrefix(p));
  }

  /** A chain by full id or unique prefix (at least 4 characters). */
  chain(idOrPrefix: string): Promise<ChainRow> {
    return resolveByPrefix("chain", idOrPrefix, this.db.getChain, (p) => this.db.findChainsByPrefix(p));
  }

  /** A batch by id or prefix, with its runs. */
  async batchWithRuns(idOrPrefix: string): Promise<BatchWithRuns> {
    const batch = await this.batch(idOrPrefix);
    return { batch, runs: await this.db.listRunsOf({ batchId: batch.id }) };
  }

  /** A chain by id or prefix, with its runs. */
  async chainWithRuns(idOrPrefix: string): Promise<ChainWithRuns> {
    const chain = await this.chain(idOrPrefix);
    return { chain, runs: await this.db.listRunsOf({ chainId: chain.id }) };
  }

  /** The newest batches with their runs. */
  async listBatches(limit: number): Promise<BatchWithRuns[]> {
    return Promise.all(
      (await this.db.listBatches(limit)).map(async (batch) => ({
        batch,
        runs: await this.db.listRunsOf({ batchId: batch.id }),
      })),
    );
  }

  /** The newest chains with their runs. */
  async listChains(limit: number): Promise<ChainWithRuns[]> {
    return Promise.all(
      (await this.db.listChains(limit)).map(async (chain) => ({
        chain,
        runs: await this.db.listRunsOf({ chainId: chain.id }),
      })),
    );
  }

  /** Runs whose id starts with `prefix` (who owns a run to stop). */
  runsByPrefix(prefix: string): Promise<RunRow[]> {
    return this.db.findRunsByPrefix(prefix);
  }
}
