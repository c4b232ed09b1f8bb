/** The drizzle schema of PanCode: drizzle-kit reads this file (drizzle.config.ts) to generate migrations. */

export { apiTokens } from "./api-tokens.js";
export { auditLog } from "./audit.js";
export { batches } from "./batches.js";
export { blobs } from "./blobs.js";
export { budget } from "./budget.js";
export { chains } from "./chains.js";
export { clusterFlags } from "./cluster-flags.js";
export { consoleSessions } from "./console-sessions.js";
export { groupReceipts } from "./group-receipts.js";
export { receipts } from "./receipts.js";
export { repoCommits } from "./repo-commits.js";
export { runEvents } from "./run-events.js";
export { runUsage } from "./run-usage.js";
export { runs } from "./runs.js";
export { blobChunks, blobContents } from "./shared-blobs.js";
export { signingKeys } from "./signing-keys.js";
export { teams } from "./teams.js";
export { workerIdentities } from "./worker-identities.js";
export { workers } from "./workers.js";
