import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAgentsDir, loadDefinitionFiles, MAX_DEFINITION_FILES } from "@pancode/agents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pancode-agents-dir-"));
  await writeFile(join(dir, "auditor.md"), "---\ndescription: Audits\nreadonly: true\n---\nAudit things.\n");
  await writeFile(join(dir, "broken.md"), "---\nreadonly: yes\n---\n");
  await writeFile(join(dir, "security.yaml"), "agents: [auditor, red-team]\n");
  await writeFile(join(dir, "notes.txt"), "not an agent");
  await mkdir(join(dir, "nested.md"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("cluster agents directory", () => {
  it("reads agent (.md) and team (.yaml) files as cluster definitions, reporting broken ones by path", async () => {
    const loaded = await loadAgentsDir(dir);
    expect(loaded.agents.map((a) => [a.name, a.source, a.readonly])).toEqual([["auditor", "cluster", true]]);
    expect(loaded.teams.map((t) => [t.name, t.agents])).toEqual([["security", ["auditor", "red-team"]]]);
    expect(loaded.errors.map((e) => e.message)).toEqual([
      `${join(dir, "broken.md")}: field "readonly": expected true or false, got "yes"`,
    ]);
  });

  it("throws CONFIG_INVALID naming a directory that does not exist", async () => {
    await expect(loadAgentsDir(join(dir, "missing"))).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining(`cannot read the cluster agents directory ${join(dir, "missing")}: ENOENT`),
    });
  });
});

describe("definition files from a repository", () => {
  it("reports files that are neither agents nor teams, and files beyond the limit", () => {
    const many = Array.from({ length: MAX_DEFINITION_FILES + 1 }, (_, i) => ({
      path: `.pancode/agents/a${i}.md`,
      content: "---\n---\n",
    }));
    const loaded = loadDefinitionFiles([{ path: ".pancode/agents/README", content: "hi" }, ...many], "repo");
    expect(loaded.agents).toHaveLength(MAX_DEFINITION_FILES - 1);
    expect(loaded.errors.map((e) => e.message)).toEqual([
      `.pancode/agents/a${MAX_DEFINITION_FILES - 1}.md: ignored: more than ${MAX_DEFINITION_FILES} agent and team files`,
      `.pancode/agents/a${MAX_DEFINITION_FILES}.md: ignored: more than ${MAX_DEFINITION_FILES} agent and team files`,
      ".pancode/agents/README: neither an agent file (.md) nor a team file (.yaml)",
    ]);
  });
});
