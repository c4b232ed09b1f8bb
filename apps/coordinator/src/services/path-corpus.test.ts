import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkPaths, type TreeLookup } from "./path-check.js";

// Gate 6 against real task phrasings (fixtures/task-corpus.txt): no false refusal, no false "missing" warning, and
// every real escape still refused.

/** The tree of a mixed project the corpus talks about, with one symlink inside and two pointing out. */
const FILES = [
  "src/auth/login.ts",
  "src/auth/session.ts",
  "src/auth/index.ts",
  "src/auth/oauth.ts",
  "src/core/config.ts",
  "src/core/presets.ts",
  "src/core/defaults.ts",
  "src/api/users.ts",
  "src/api/routes.ts",
  "src/api/middleware/rate-limit.ts",
  "src/components/Button.tsx",
  "src/components/Header.tsx",
  "src/components/Modal.tsx",
  "src/utils/format.ts",
  "src/utils/date.ts",
  "src/db/schema.sql",
  "src/index.ts",
  "src/server.ts",
  "src/main.rs",
  "src/lib.rs",
  "app/models.py",
  "app/views.py",
  "app/settings.py",
  "app/tests/test_views.py",
  "cmd/server/main.go",
  "internal/store/store.go",
  "internal/store/store_test.go",
  "lib/parser.rb",
  "public/index.html",
  "public/robots.txt",
  "public/favicon.ico",
  "styles/main.css",
  "templates/base.html",
  "static/js/app.js",
  "static/css/site.css",
  "docs/guide.md",
  "docs/api.md",
  "config/default.json",
  "config/production.yaml",
  "migrations/20240102_add_users.sql",
  "scripts/deploy.sh",
  "scripts/seed.ts",
  "test/e2e/login.spec.ts",
  "bin/cli.js",
  "k8s/deployment.yaml",
  "terraform/main.tf",
  ".github/workflows/ci.yml",
  "README.md",
  "CHANGELOG.md",
  "CONTRIBUTING.md",
  "LICENSE",
  "Makefile",
  "Dockerfile",
  "docker-compose.yml",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  ".eslintrc.json",
  ".env.example",
  ".gitignore",
  "jest.config.js",
  "vite.config.ts",
  "webpack.config.js",
  "Cargo.toml",
  "go.mod",
  "go.sum",
  "pyproject.toml",
  "requirements.txt",
];
const LINKS: Record<string, string> = {
  "src/shared": "../lib",
  "etc-link": "/etc",
  "src/up": "../..",
  "vendor/escape.json": "../../../home/dev/.aws/credentials",
};

function projectTree(): TreeLookup {
  const files = new Map<string, { mode: string; oid: string }>();
  for (const f of FILES) files.set(f, { mode: "100644", oid: "0" });
  for (const l of Object.keys(LINKS)) files.set(l, { mode: "120000", oid: "0" });
  const dirs = new Set([""]);
  for (const p of files.keys()) {
    for (let i = p.indexOf("/"); i >= 0; i = p.indexOf("/", i + 1)) dirs.add(p.slice(0, i));
  }
  return { files, isDirectory: (p) => dirs.has(p), readLink: async (p) => LINKS[p] ?? "" };
}

/** One corpus line: the task and the paths it names that are really missing from the tree. */
interface CorpusTask {
  task: string;
  missing: string[];
}

function readCorpus(): CorpusTask[] {
  const text = readFileSync(new URL("../fixtures/task-corpus.txt", import.meta.url), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => {
      const [task = "", expected = ""] = line.split(" #=> missing: ");
      return { task, missing: expected ? expected.split(", ") : [] };
    });
}

const corpus = readCorpus();
const tree = projectTree();

describe("the task corpus", () => {
  it("holds at least 200 real task phrasings", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
  });

  it.each(corpus.map((c) => [c.task, c.missing] as const))("admits %j", async (task, missing) => {
    const warnings = await checkPaths(task, async () => tree);
    expect(warnings).toEqual(missing.map((p) => `path "${p}" named in the task does not exist in the workspace`));
  });
});

describe("real escapes", () => {
  it.each([
    ["cd ../.. && ls", "../.."],
    ["cat ../../etc/passwd", "../../etc/passwd"],
    ["cat /etc/passwd", "/etc/passwd"],
    ["copy ~/.ssh/id_rsa into the repo", "~/.ssh/id_rsa"],
    ["upload ~root/.ssh/authorized_keys", "~root/.ssh/authorized_keys"],
    ["ls /workspace/../etc", "/workspace/../etc"],
    ["ls ..", ".."],
    ["ls src/../..", "src/../.."],
    ["read /home/dev/.aws/credentials", "/home/dev/.aws/credentials"],
    ["tail -f /var/log/auth.log", "/var/log/auth.log"],
    ["cat /Users/me/.netrc", "/Users/me/.netrc"],
    ["ls /root", "/root"],
    ["open /srv2/app/main.py", "/srv2/app/main.py"],
    ["See src/a.ts, then ../secret.txt.", "../secret.txt"],
    ["cat 'foo/../../etc/shadow'", "foo/../../etc/shadow"],
    // An escape after a long run of ordinary words is still found.
    [`${"fix the tests ".repeat(2000)} cat ../x`, "../x"],
  ])("refuses %j", async (task, path) => {
    await expect(checkPaths(task, async () => tree)).rejects.toMatchObject({
      code: "PATH_OUTSIDE_WORKSPACE",
      message: expect.stringContaining(`path "${path}" resolves outside the workspace`),
    });
  });

  it.each([
    ["cat etc-link/passwd", "etc-link -> /etc"],
    ["cat src/up/secret.txt", "src/up -> ../.."],
    ["cat vendor/escape.json", "vendor/escape.json -> ../../../home/dev/.aws/credentials"],
  ])("refuses %j, a symlink of the tree pointing out", async (task, via) => {
    await expect(checkPaths(task, async () => tree)).rejects.toMatchObject({
      code: "PATH_OUTSIDE_WORKSPACE",
      message: expect.stringContaining(`(through ${via})`),
    });
  });

  it("follows a symlink that stays inside", async () => {
    expect(await checkPaths("use src/shared/parser.rb", async () => tree)).toEqual([]);
  });
});
