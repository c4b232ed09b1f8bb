/** The line a refine reviewer is told to end with when it approves. */
const APPROVED = "VERDICT: APPROVED";
/** The line a refine reviewer is told to end with when changes are needed. */
const CHANGES_REQUESTED = "VERDICT: CHANGES_REQUESTED";

/** Longest previous-step output passed on as $INPUT (the run's output tail is already bounded; this keeps tasks sane). */
const MAX_INPUT_CHARS = 16 * 1024;

/** The reviewer's task of a refine loop when none is given. */
export const DEFAULT_REVIEW_TASK = [
  "Review the changes in the workspace, made for this task:",
  "$ORIGINAL",
  "",
  "The builder reported:",
  "$INPUT",
  "",
  `End your answer with exactly one verdict line: \`${APPROVED}\` when the task is fully and correctly done, or`,
  `\`${CHANGES_REQUESTED}\` followed by the changes that are still needed.`,
].join("\n");

/** Inputs of {@link composeStepTask}. */
export interface StepContext {
  /** The step's task as written, possibly naming $INPUT and $ORIGINAL. */
  template: string;
  /** The previous step's output ("" for the first step). */
  input: string;
  /** The chain's original task. */
  original: string;
  /**
   * Whether the context may be prepended when the template names neither placeholder. False for the `command`
   * runtime, whose task is a shell command: text in front of it would break it.
   */
  prependContext: boolean;
}

/**
 * The task a chain step is dispatched with. `$INPUT` and `$ORIGINAL` in the template are replaced by the previous
 * step's output and the original task. A template naming neither gets both as a context block in front (for model
 * agents), unless there is nothing to add.
 */
export function composeStepTask(ctx: StepContext): string {
  const input = ctx.input.trim().slice(-MAX_INPUT_CHARS);
  const named = /\$(INPUT|ORIGINAL)\b/.test(ctx.template);
  if (named) {
    // A function replacement: `$&`-style patterns inside the output must be inserted literally.
    return ctx.template.replace(/\$(INPUT|ORIGINAL)\b/g, (_m, name: string) =>
      name === "INPUT" ? input : ctx.original,
    );
  }
  if (!ctx.prependContext || (input === "" && ctx.template.trim() === ctx.original.trim())) return ctx.template;
  const parts = [`Original task:\n${ctx.original}`];
  if (input !== "") parts.push(`Output of the previous step:\n${input}`);
  parts.push(`Your step:\n${ctx.template}`);
  return parts.join("\n\n");
}

/**
 * The reviewer's verdict in its output: the last `VERDICT:` line decides. "approved", "changes_requested", or ""
 * when there is none (counted as not approved).
 */
export function verdictOf(output: string): "approved" | "changes_requested" | "" {
  const lines = output.split(/\r?\n/).filter((l) => /^\W*VERDICT:/i.test(l.trim()));
  const last = lines.at(-1);
  if (!last) return "";
  return /VERDICT:\s*APPROVED\b/i.test(last) ? "approved" : "changes_requested";
}
