import { loadAgentFiles, parseDuration } from "@pancode/agents";
import { describe, expect, it } from "vitest";

const PATH = ".pancode/agents/x.md";

/** An agent file with `front` as front matter lines and `body` as prompt. */
function file(front: string, body = "You audit code.\n", path = PATH): { path: string; content: string } {
  return { path, content: `---\n${front}\n---\n${body}` };
}

/** The error lines of loading one file. */
function errorsOf(front: string): string[] {
  const { agents, errors } = loadAgentFiles([file(front)], "repo");
  expect(agents).toEqual([]);
  return errors.map((e) => e.message);
}

describe("agent files", () => {
  it("parses every field of a valid file, with the body as system prompt", () => {
    const { agents, errors } = loadAgentFiles(
      [
        file(
          [
            "name: security-auditor",
            "description: Audits for OWASP issues",
            "runtime: pi",
            "model: local/qwen-coder",
            "image: pancode/agent:custom",
            "readonly: true",
            "tools: [read, grep, find, ls]",
            "maxTurns: 12",
            "timeout: 10m",
            "limits: { memoryMb: 1024 }",
            "network: host",
            "egress: [registry.npmjs.org:443]",
          ].join("\n"),
          "\nYou are a security auditor.\nReport findings by severity.\n",
        ),
      ],
      "cluster",
    );
    expect(errors).toEqual([]);
    expect(agents).toEqual([
      {
        name: "security-auditor",
        description: "Audits for OWASP issues",
        runtime: "pi",
        model: "local/qwen-coder",
        image: "pancode/agent:custom",
        tools: ["read", "grep", "find", "ls"],
        readonly: true,
        maxTurns: 12,
        timeoutMs: 600_000,
        limits: { memoryMb: 1024, cpus: 1, pids: 512 },
        network: "host",
        egress: ["registry.npmjs.org:443"],
        prompt: "You are a security auditor.\nReport findings by severity.",
        source: "cluster",
      },
    ]);
  });

  it("fills the defaults of coding agents: name from the file, pi, all tools, no network (the proxy serves the model)", () => {
    const { agents } = loadAgentFiles([file("description: helper", "Help.", "a/b/helper.md")], "cluster");
    expect(agents[0]).toMatchObject({
      name: "helper",
      runtime: "pi",
      model: "",
      tools: ["read", "bash", "edit", "write", "grep", "find", "ls"],
      readonly: false,
      maxTurns: 20,
      timeoutMs: 300_000,
      network: "none",
      source: "cluster",
    });
  });

  it("gives read-only agents read-only tools, and command agents no tools, turns or network", () => {
    const { agents } = loadAgentFiles(
      [file("name: ro\nreadonly: true"), file("name: lint\nruntime: command\nmodel:", "", "lint.md")],
      "repo",
    );
    expect(agents[0]).toMatchObject({ tools: ["read", "grep", "find", "ls"], readonly: true, network: "none" });
    expect(agents[1]).toMatchObject({ runtime: "command", tools: [], maxTurns: 0, network: "none", model: "" });
  });

  it("accepts the original's comma-separated tools, CRLF line endings and a byte-order mark", () => {
    const content = "\uFEFF---\r\nname: csv\r\ntools: read, bash,grep\r\n---\r\nPrompt.\r\n";
    const { agents, errors } = loadAgentFiles([{ path: PATH, content }], "repo");
    expect(errors).toEqual([]);
    expect(agents[0]).toMatchObject({ name: "csv", tools: ["read", "bash", "grep"], prompt: "Prompt." });
  });

  it.each([
    ["readonly: yes", 'field "readonly": expected true or false, got "yes"'],
    ["readOnly: true", 'field "readOnly": unknown field; known fields: name, description, runtime'],
    ["tools: [read, wirte]", 'field "tools[1]": expected one of read, bash, edit, write, grep, find, ls, got "wirte"'],
    ["readonly: true\ntools: [read, write]", 'field "tools": a read-only agent cannot have write tools (write)'],
    ["timeout: soon", 'field "timeout": expected milliseconds (e.g. 90000) or a duration such as 90s, 10m or 1h'],
    ["timeout: -5", 'field "timeout": expected milliseconds'],
    ["timeout: 48h", 'field "timeout": expected at most 24h, got "48h"'],
    ["network: internet", 'field "network": expected one of none, host, bridge, got "internet"'],
    ["name: Bad_Name", 'field "name": expected lowercase letters, digits and dashes, starting with a letter'],
    ["maxTurns: 2.5", 'field "maxTurns": expected a whole number, got 2.5'],
    ["maxTurns: -1", 'field "maxTurns": expected a number >= 0, got -1'],
    ["limits: { memoryMb: 2g }", 'field "limits.memoryMb": expected a number, got "2g"'],
    ["limits: { disk: 10 }", 'field "limits.disk": unknown field'],
    ["runtime: Claude Code", 'field "runtime": expected a runtime name such as pi'],
    ["description: [a, b]", 'field "description": expected text, got a list'],
    ["- just\n- a list", "x.md: expected a mapping (key: value lines), got a list"],
  ])("reports %j naming the file and the field", (front, expected) => {
    const errors = errorsOf(front);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${PATH}: `);
    expect(errors[0]).toContain(expected);
  });

  it("reports a missing, unterminated or unparsable front matter, and an oversized file", () => {
    const cases: [string, RegExp][] = [
      ["You are nobody.\n", /x\.md: missing YAML front matter: the file must start with a --- line/],
      ["---\nname: x\nno end\n", /x\.md: unterminated YAML front matter: no closing --- line/],
      ["---\nname: [unclosed\n---\nbody\n", /x\.md: front matter is not valid YAML: /],
      ["---\nname: a\nname: b\n---\n", /x\.md: front matter is not valid YAML: .*unique/i],
      [`---\nname: big\n---\n${"x".repeat(70_000)}`, /x\.md: file is 70018 bytes, over the limit of 65536/],
    ];
    for (const [content, expected] of cases) {
      const { agents, errors } = loadAgentFiles([{ path: PATH, content }], "repo");
      expect(agents).toEqual([]);
      expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(expected)]);
      expect(errors[0]?.field).toBe("");
    }
  });

  it("reads a run's cost estimate for the budget, and refuses a negative one naming the field", () => {
    const { agents } = loadAgentFiles([file("runtime: command\nestimate: 0.4")], "repo");
    expect(agents[0]?.estimateUsd).toBe(0.4);
    expect(loadAgentFiles([file("runtime: command")], "repo").agents[0]?.estimateUsd).toBeUndefined();
    expect(errorsOf("estimate: -1")).toEqual([
      expect.stringMatching(/x\.md: field "estimate": expected a number >= 0/),
    ]);
  });

  it("leaves the image and host networking to cluster agents", () => {
    const front = "image: evil:latest\nnetwork: host";
    expect(loadAgentFiles([file(front)], "cluster").errors).toEqual([]);
    expect(errorsOf(front)).toEqual([
      `${PATH}: field "image": only cluster agents may choose an image; repository agents use the cluster's`,
      `${PATH}: field "network": only cluster agents may use host networking; use bridge or none`,
    ]);
  });

  it("never lets a broken file affect the others, and keeps the first of two same-named agents", () => {
    const { agents, errors } = loadAgentFiles(
      [
        file("name: good"),
        file("name: broken\nreadonly: maybe", "", ".pancode/agents/broken.md"),
        file("name: good\ndescription: second", "", ".pancode/agents/again.md"),
        file("name: other", "", ".pancode/agents/other.md"),
      ],
      "repo",
    );
    expect(agents.map((a) => a.name)).toEqual(["good", "other"]);
    expect(errors.map((e) => [e.path, e.field])).toEqual([
      [".pancode/agents/broken.md", "readonly"],
      [".pancode/agents/again.md", "name"],
    ]);
    expect(errors[1]?.message).toMatch(/agent "good" is already defined in \.pancode\/agents\/x\.md/);
  });
});

describe("durations", () => {
  it.each([
    [90_000, 90_000],
    ["90000", 90_000],
    ["250ms", 250],
    ["90s", 90_000],
    ["10m", 600_000],
    ["1.5h", 5_400_000],
    [" 2 m ", 120_000],
  ])("reads %j as %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([["soon"], ["10 minutes"], ["-1s"], [-5], [Number.NaN], [true], [null], ["1d"]])("refuses %j", (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
