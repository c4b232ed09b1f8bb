import { eq, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { clusterFlags } from "../schema/index.js";
import { preparedPer } from "./prepared.js";

/** A cluster-wide switch that is on. */
export interface ClusterFlag {
  name: string;
  setBy: string;
  setAt: Date;
}

/** Turns `name` on; false when it already was (the first setter is kept). */
export async function setClusterFlag(db: DbHandle, name: string, setBy: string): Promise<boolean> {
  const inserted = await db
    .insert(clusterFlags)
    .values({ name, setBy })
    .onConflictDoNothing()
    .returning({ name: clusterFlags.name });
  return inserted.length > 0;
}

/** Turns `name` off; false when it was not on. */
export async function clearClusterFlag(db: DbHandle, name: string): Promise<boolean> {
  const removed = await db
    .delete(clusterFlags)
    .where(eq(clusterFlags.name, name))
    .returning({ name: clusterFlags.name });
  return removed.length > 0;
}

const clusterFlagByName = preparedPer((db) =>
  db
    .select()
    .from(clusterFlags)
    .where(eq(clusterFlags.name, sql.placeholder("name")))
    .prepare("pancode_cluster_flag_by_name"),
);

/** The flag when on, else undefined. */
export async function getClusterFlag(db: DbHandle, name: string): Promise<ClusterFlag | undefined> {
  const [row] = await clusterFlagByName(db).execute({ name });
  return row;
}
