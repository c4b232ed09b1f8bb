import { and, eq, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { blobs, repoCommits } from "../schema/index.js";
import { preparedPer } from "./prepared.js";

/** Records that the blob store holds `digest`. Idempotent: the first record wins. */
export async function putBlob(db: DbHandle, digest: string, bytes: number, kind: string): Promise<void> {
  await db.insert(blobs).values({ digest, bytes, kind }).onConflictDoNothing();
}

/** Whether the blob store holds `digest`. */
export async function hasBlob(db: DbHandle, digest: string): Promise<boolean> {
  const [row] = await db.select({ digest: blobs.digest }).from(blobs).where(eq(blobs.digest, digest));
  return row !== undefined;
}

/** Records that bundle `bundleDigest` contains `commit` of `repoId`. Idempotent: the first bundle stays. */
export async function recordCommit(db: DbHandle, repoId: string, commit: string, bundleDigest: string): Promise<void> {
  await db.insert(repoCommits).values({ repoId, commit, bundleDigest }).onConflictDoNothing();
}

/** The bundle that holds `commit` of `repoId`, if the coordinator has one. */
export async function findCommit(
  db: DbHandle,
  repoId: string,
  commit: string,
): Promise<{ bundleDigest: string } | undefined> {
  const [row] = await commitByRepo(db).execute({ repoId, commit });
  return row;
}

const commitByRepo = preparedPer((db) =>
  db
    .select({ bundleDigest: repoCommits.bundleDigest })
    .from(repoCommits)
    .where(and(eq(repoCommits.repoId, sql.placeholder("repoId")), eq(repoCommits.commit, sql.placeholder("commit"))))
    .prepare("pancode_commit_by_repo"),
);
