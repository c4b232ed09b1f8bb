import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScenario } from "./scenario.js";
import { planTurn, splitFragments, splitText } from "./turn-plan.js";

const fixtures = fileURLToPath(new URL("../../../../test/fixtures/scenarios/", import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pancode-scenario-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe("loadScenario", () => {
  it("loads the shared fixtures", async () => {
    const write = await loadScenario(join(fixtures, "write-file.yaml"));
    expect(write.turns[0]?.toolCalls?.[0]).toEqual({
      name: "write",
      arguments: { path: "hello.txt", content: "hello from pancode\n" },
    });
    const readOnly = await loadScenario(join(fixtures, "read-only-attempt.yaml"));
    expect(readOnly.turns.flatMap((t) => t.toolCalls?.map((c) => c.name) ?? [])).toEqual(["write", "bash"]);
    const slow = await loadScenario(join(fixtures, "slow-growing-usage.yaml"));
    const inputs = slow.turns.map((t) => t.usage?.input ?? 0);
    expect(inputs).toEqual([...inputs].sort((a, b) => a - b));
    expect(slow.turns.every((t) => (t.delayMs ?? 0) > 0)).toBe(true);
  });

  it("loads JSON and defaults the name to the file name", async () => {
    const path = await file("from-json.json", JSON.stringify({ turns: [{ text: "hi" }] }));
    expect(await loadScenario(path)).toEqual({ name: "from-json", turns: [{ text: "hi" }] });
  });

  it("names the file and the field when a scenario is invalid", async () => {
    const path = await file(
      "bad.yaml",
      "name: bad\nturns:\n  - text: ok\n  - toolCalls:\n      - name: write\n        arguments: nope\n",
    );
    await expect(loadScenario(path)).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(loadScenario(path)).rejects.toThrow(`Invalid scenario file ${path}: turns.1.toolCalls.0.arguments:`);
  });

  it("reports typos and empty turns", async () => {
    const typo = await file("typo.yaml", "turns:\n  - text: hi\n    tool_calls: []\n");
    await expect(loadScenario(typo)).rejects.toThrow(/turns\.0: .*tool_calls/);
    const empty = await file("empty.yaml", "turns:\n  - {}\n");
    await expect(loadScenario(empty)).rejects.toThrow(
      /turns\.0: a turn needs `text` or at least one entry in `toolCalls`/,
    );
  });

  it("reports unreadable and unparsable files", async () => {
    await expect(loadScenario(join(dir, "missing.yaml"))).rejects.toMatchObject({ code: "NOT_FOUND" });
    const broken = await file("broken.json", "{");
    await expect(loadScenario(broken)).rejects.toThrow(`Scenario file ${broken} is not valid YAML/JSON`);
  });
});

describe("turn planning", () => {
  it("is deterministic and exhausts past the last turn", () => {
    const scenario = { name: "s", turns: [{ text: "a", toolCalls: [{ name: "t", arguments: { x: 1 } }] }] };
    const options = { inputChars: 40, idPrefix: "call_" };
    expect(planTurn(scenario, 0, options)).toEqual(planTurn(scenario, 0, options));
    expect(planTurn(scenario, 0, options).toolCalls[0]?.id).toBe("call_t0_0");
    expect(planTurn(scenario, 1, options)).toMatchObject({
      exhausted: true,
      text: "(scenario exhausted)",
      toolCalls: [],
    });
  });

  it("splits text and fragments losslessly, never inside a character", () => {
    const text = "The quick brown fox jumps over the lazy dog, twice: 🎉 ✓ done.";
    expect(splitText(text).join("")).toBe(text);
    expect(splitText(text).length).toBeGreaterThan(2);
    const json = JSON.stringify({ emoji: "🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉" });
    const fragments = splitFragments(json, 5);
    expect(fragments.join("")).toBe(json);
    // A lone surrogate would make encodeURIComponent throw.
    for (const fragment of fragments) expect(() => encodeURIComponent(fragment)).not.toThrow();
  });
});
