import type { PatchReview } from "@pancode/git";
import { describe, expect, it } from "vitest";
import { findProtected, globToRegex, protectedPatterns } from "./protected-paths.js";

const review = (
  files: { path: string; oldPath?: string }[],
  extra: Partial<Pick<PatchReview, "symlinks" | "escapingSymlinks">> = {},
): PatchReview => ({
  files: files.map((f) => ({ ...f, status: f.oldPath ? "renamed" : "modified", binary: false })),
  symlinks: extra.symlinks ?? new Map(),
  escapingSymlinks: extra.escapingSymlinks ?? [],
});

const defaults = protectedPatterns(undefined);

describe("protected paths", () => {
  it.each([
    ".pancode/agents/dev.md",
    ".pancode",
    ".PanCode/teams/x.yaml",
    ".gitmodules",
    "sub/dir/.gitattributes",
    ".github/workflows/ci.yml",
    ".gitlab-ci.yml",
    ".husky/pre-commit",
    ".githooks/post-checkout",
    ".envrc",
    "services/api/.envrc",
    ".vscode/tasks.json",
    ".idea/workspace.xml",
  ])("%s is protected", (path) => {
    expect(findProtected(review([{ path }]), defaults)).toHaveLength(1);
  });

  it.each(["src/index.ts", ".github/CODEOWNERS", "docs/.pancode.md", "x.envrc", "vscode/tasks.json"])(
    "%s is not",
    (path) => {
      expect(findProtected(review([{ path }]), defaults)).toEqual([]);
    },
  );

  it("a planted bare repository (its HEAD) is held: git run inside it would obey its config", () => {
    const files = [{ path: "fixtures/evil/HEAD" }, { path: "fixtures/evil/config" }, { path: "src/HEADER.md" }];
    expect(findProtected(review(files), defaults)).toEqual([
      {
        path: "fixtures/evil/HEAD",
        reason: "a git repository's HEAD: git run in its directory would obey that repository's config",
      },
    ]);
  });

  it("a rename out of a protected path counts (the protected file disappears)", () => {
    expect(findProtected(review([{ path: "notes.md", oldPath: ".envrc" }]), defaults)).toEqual([
      { path: ".envrc", reason: "protected path (matches .envrc)" },
    ]);
  });

  it("a symlink standing where a protected directory would be is held", () => {
    const found = findProtected(review([{ path: ".github" }], { symlinks: new Map([[".github", "evil"]]) }), defaults);
    expect(found).toEqual([
      { path: ".github", reason: "symlink to evil in place of a protected directory (.github/workflows/**)" },
    ]);
  });

  it("a symlink leaving the repository is held with its reason", () => {
    const escaping = [{ path: "etc", target: "/etc", reason: "symlink to /etc: absolute target /etc" }];
    expect(findProtected(review([{ path: "etc" }], { escapingSymlinks: escaping }), defaults)).toEqual([
      { path: "etc", reason: "symlink to /etc: absolute target /etc" },
    ]);
  });

  it("the developer adds patterns; the defaults stay", () => {
    const patterns = protectedPatterns(" Makefile , scripts/**/*.sh,");
    expect(patterns).toEqual(expect.arrayContaining([".envrc", "Makefile", "scripts/**/*.sh"]));
    expect(findProtected(review([{ path: "scripts/a/b/run.sh" }, { path: "Makefile" }]), patterns)).toHaveLength(2);
    expect(globToRegex("scripts/**/*.sh").test("scripts/run.sh")).toBe(true);
    expect(globToRegex("scripts/**/*.sh").test("other/scripts/run.sh")).toBe(false);
  });
});
