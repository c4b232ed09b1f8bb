import { describe, expect, it } from "vitest";
import { composeStepTask, verdictOf } from "./step-task.js";

describe("composeStepTask", () => {
  it("substitutes $INPUT and $ORIGINAL literally", () => {
    const task = composeStepTask({
      template: 'echo "saw $INPUT for $ORIGINAL"',
      input: "plan $& 42\n",
      original: "fix auth",
      prependContext: false,
    });
    expect(task).toBe('echo "saw plan $& 42 for fix auth"');
  });

  it("prepends context for model agents when the template names neither", () => {
    const task = composeStepTask({
      template: "Implement it",
      input: "the plan",
      original: "fix",
      prependContext: true,
    });
    expect(task).toBe("Original task:\nfix\n\nOutput of the previous step:\nthe plan\n\nYour step:\nImplement it");
  });

  it("leaves commands and first steps alone", () => {
    expect(composeStepTask({ template: "ls", input: "x", original: "o", prependContext: false })).toBe("ls");
    expect(composeStepTask({ template: "fix", input: "", original: "fix", prependContext: true })).toBe("fix");
  });
});

describe("verdictOf", () => {
  it("takes the last verdict line", () => {
    expect(verdictOf("looks good\nVERDICT: APPROVED\n")).toBe("approved");
    expect(verdictOf("VERDICT: APPROVED\nwait\n**VERDICT: CHANGES_REQUESTED** add tests")).toBe("changes_requested");
    expect(verdictOf("no verdict here")).toBe("");
  });
});
