import { z } from "zod";

/** How one file changed in a delta patch, as `git diff --name-status` reports it. */
export const PatchFileStatus = z.enum(["added", "modified", "deleted", "renamed", "copied", "type-changed"]);
export type PatchFileStatus = z.infer<typeof PatchFileStatus>;

/** One file touched by a patch. `oldPath` is set for renames and copies. */
export const PatchFile = z.object({
  path: z.string(),
  status: PatchFileStatus,
  oldPath: z.string().optional(),
  /** True when git treats the content as binary (the patch then carries a binary literal or delta). */
  binary: z.boolean().default(false),
});
export type PatchFile = z.infer<typeof PatchFile>;

/** What a run changed, addressed by the sha256 of the patch bytes. An empty patch has `bytes` 0. */
export const PatchSummary = z.object({
  digest: z.string(),
  bytes: z.number().int().nonnegative(),
  files: z.array(PatchFile),
});
export type PatchSummary = z.infer<typeof PatchSummary>;
