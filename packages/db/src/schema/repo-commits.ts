import { pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** Commits the coordinator can serve: each maps to a git bundle in the blob store that contains it. */
export const repoCommits = pgTable(
  "repo_commits",
  {
    /** Repository id: sha of its first root commit. */
    repoId: text("repo_id").notNull(),
    commit: text("commit").notNull(),
    /** A bundle blob holding `commit`; the first recorded bundle wins (later ones also hold it, any would do). */
    bundleDigest: text("bundle_digest").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.repoId, t.commit] })],
);
