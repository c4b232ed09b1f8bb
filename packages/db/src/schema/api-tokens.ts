import { sql } from "drizzle-orm";
import { check, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per person (or robot) allowed to call the client API. Only the sha256 of a token is kept: a token is shown
 * once at creation and can never be read back. A revoked or expired row refuses its token on the next call.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    /** Who the token belongs to, e.g. "alice"; runs, batches, chains and audit entries record this name. */
    name: text("name").primaryKey(),
    /** admin > member > viewer (see the coordinator's role table). */
    role: text("role").$type<"admin" | "member" | "viewer">().notNull(),
    /** Team the person's runs count against (budget ceiling, max running); null = no team. */
    team: text("team"),
    /** Lower-case hex sha256 of the token. */
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [check("api_tokens_role_check", sql`${t.role} in ('admin', 'member', 'viewer')`)],
);
