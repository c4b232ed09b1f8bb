import type { Database, GroupKind } from "@pancode/db";

/** The store as group leases use it. */
export type GroupLeaseStore = Pick<Database, "leaseGroup" | "releaseGroups">;

/**
 * This replica's ownership of batches and chains. A scheduler asks for the lease right before each decision
 * (starting an item, a step, ending the group), so at most one replica acts on a group at a time; renewals ride on
 * the orchestration tick. A replica that dies stops renewing, and the first other replica whose tick comes after
 * the lease ran out takes the group over from the database state.
 */
export class GroupLeases {
  constructor(
    private readonly db: GroupLeaseStore,
    /** Unique per coordinator process. */
    readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  /** Takes or renews the lease; false when another live replica has the group or it ended. */
  hold(kind: GroupKind, id: string): Promise<boolean> {
    return this.db.leaseGroup(kind, id, this.owner, this.leaseMs);
  }

  /** Gives every group of this replica up (clean shutdown), so another takes over without waiting out the lease. */
  releaseAll(): Promise<void> {
    return this.db.releaseGroups(this.owner);
  }
}
