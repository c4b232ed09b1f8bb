import {
  AgentSpec,
  BUILTIN_AGENTS,
  createAgentRegistry,
  DEFAULT_AGENT,
  getRuntime,
  loadAgentFiles,
  loadDefinitionFiles,
  TeamSpec,
  WRITE_TOOLS,
} from "@pancode/agents";
import { describe, expect, it } from "vitest";

const FLEET = ["builder", "dev", "documenter", "plan-reviewer", "planner", "red-team", "reviewer", "scout", "shell"];

describe("agent registry", () => {
  const registry = createAgentRegistry({ defaultImage: "pancode/agent:dev" });

  it("resolves the built-in shell agent onto the default image", () => {
    const agent = registry.resolve("shell");
    expect(agent).toMatchObject({ name: "shell", runtime: "command", image: "pancode/agent:dev", network: "none" });
    expect(getRuntime(agent.runtime).buildInvocation({ task: "echo hi", agent, model: null }).argv).toEqual([
      "sh",
      "-c",
      "echo hi",
    ]);
  });

  it("gives an agent the egress hosts of its cluster file; a repository agent may only narrow them", () => {
    const file = (egress: string) => ({
      path: ".pancode/agents/fetcher.md",
      content: `---\nruntime: command\negress: [${egress}]\n---\n`,
    });
    const cluster = loadAgentFiles([file("registry.npmjs.org:443, pypi.org:443")], "cluster").agents;
    const narrowed = loadAgentFiles([file("pypi.org:443, evil.example:443")], "repo").agents;
    const stranger = loadAgentFiles(
      [{ path: ".pancode/agents/other.md", content: "---\nruntime: command\negress: [evil.example:443]\n---\n" }],
      "repo",
    ).agents;
    const base = createAgentRegistry({ defaultImage: "img", extra: cluster });
    expect(base.resolve("fetcher").egress).toEqual(["registry.npmjs.org:443", "pypi.org:443"]);
    const layered = base.withRepository({ agents: [...narrowed, ...stranger] });
    expect(layered.resolve("fetcher").egress).toEqual(["pypi.org:443"]);
    expect(layered.resolve("other").egress).toEqual([]);
    expect(registry.resolve("dev").egress).toEqual([]);
    const bad = loadAgentFiles([file("registry.npmjs.org")], "cluster");
    expect(bad.errors[0]?.problem).toMatch(/host:port, such as registry.npmjs.org:443/);
  });

  it("ships the whole fleet, including the default agent dev", () => {
    expect(registry.list().map((a) => a.name)).toEqual(FLEET);
    expect(registry.get(DEFAULT_AGENT)).toMatchObject({ name: "dev", runtime: "pi", readonly: false });
    expect(registry.list().every((a) => a.source === "builtin")).toBe(true);
  });

  it("makes planner, scout, reviewer, plan-reviewer and red-team read-only, without write tools", () => {
    const readonly = registry
      .list()
      .filter((a) => a.readonly)
      .map((a) => a.name);
    expect(readonly).toEqual(["plan-reviewer", "planner", "red-team", "reviewer", "scout"]);
    for (const name of readonly) {
      const agent = registry.resolve(name);
      expect(agent.tools.some((t) => (WRITE_TOOLS as string[]).includes(t))).toBe(false);
      expect(agent.prompt).toMatch(/mounted read-only/);
    }
  });

  it("gives coding agents a prompt, tools and a turn limit, and no network (their model is behind the proxy)", () => {
    for (const spec of BUILTIN_AGENTS.filter((a) => a.runtime === "pi")) {
      const agent = registry.resolve(spec.name);
      expect(agent).toMatchObject({ model: "", network: "none" });
      expect(agent.prompt).toContain(`You are ${spec.name}`);
      expect(agent.tools.length).toBeGreaterThan(0);
      expect(agent.maxTurns).toBeGreaterThan(0);
    }
    expect(registry.resolve("dev").tools).toEqual(["read", "bash", "edit", "write", "grep", "find", "ls"]);
    expect(registry.resolve("shell")).toMatchObject({ tools: [], maxTurns: 0, prompt: "" });
  });

  it("names the available agents when one is unknown", () => {
    expect(() => registry.resolve("nope")).toThrow(`unknown agent "nope"; available agents: ${FLEET.join(", ")}`);
  });

  it("layers built-ins < cluster < repository, remembering each agent's source", () => {
    const cluster = loadAgentFiles(
      [
        { path: "/etc/pancode/agents/dev.md", content: "---\nmodel: local/big\n---\nCluster dev." },
        { path: "/etc/pancode/agents/audit.md", content: "---\nreadonly: true\n---\nCluster audit." },
      ],
      "cluster",
    ).agents;
    const repo = loadAgentFiles(
      [{ path: ".pancode/agents/audit.md", content: "---\nreadonly: true\ntimeout: 90s\n---\nRepo audit." }],
      "repo",
    ).agents;
    const base = createAgentRegistry({ defaultImage: "img", extra: cluster });
    const layered = base.withRepository({ agents: repo });
    expect(base.get("dev")).toMatchObject({ source: "cluster", model: "local/big", prompt: "Cluster dev." });
    expect(base.get("audit")).toMatchObject({ source: "cluster", prompt: "Cluster audit." });
    expect(layered.get("audit")).toMatchObject({ source: "repo", timeoutMs: 90_000 });
    expect(layered.resolve("audit")).toMatchObject({ prompt: "Repo audit.", readonly: true, image: "img" });
    expect(layered.get("scout")?.source).toBe("builtin");
    // The base registry is not changed by one dispatch's repository layer.
    expect(base.get("audit")?.prompt).toBe("Cluster audit.");
    expect(createAgentRegistry({ defaultImage: "img", extra: cluster, repoAgents: repo }).get("audit")?.source).toBe(
      "repo",
    );
  });

  it("lets a later spec of the same name replace the built-in one", () => {
    const custom = AgentSpec.parse({ name: "shell", runtime: "command", image: "mine:1", source: "cluster" });
    expect(createAgentRegistry({ defaultImage: "x", extra: [custom] }).resolve("shell").image).toBe("mine:1");
  });

  it("refuses unknown runtimes by name", () => {
    expect(() => getRuntime("warp")).toThrow(/unknown runtime "warp"; known runtimes: command/);
  });
});

describe("teams", () => {
  const registry = createAgentRegistry({ defaultImage: "img" });

  it("ships the review team and resolves its members", () => {
    expect(registry.listTeams().map((t) => t.name)).toEqual(["review"]);
    const team = registry.resolveTeam("review");
    expect(team).toMatchObject({ name: "review", source: "builtin" });
    expect(team.agents.map((a) => [a.name, a.readonly])).toEqual([
      ["reviewer", true],
      ["plan-reviewer", true],
      ["red-team", true],
    ]);
  });

  it("loads repository teams that may name repository agents, and reports broken team files", () => {
    const repo = loadDefinitionFiles(
      [
        { path: ".pancode/agents/audit.md", content: "---\nreadonly: true\n---\nAudit." },
        { path: ".pancode/teams/security.yaml", content: "description: Security pass\nagents: [audit, red-team]\n" },
        { path: ".pancode/teams/review.yml", content: "agents: [reviewer]\n" },
        { path: ".pancode/teams/bad.yaml", content: "agents: [reviewer, reviewer]\nmembers: 2\n" },
        { path: ".pancode/teams/worse.yaml", content: "agents: reviewer: x\n" },
      ],
      "repo",
    );
    expect(repo.errors.map((e) => e.message)).toEqual([
      '.pancode/teams/bad.yaml: field "members": unknown field; known fields: name, description, agents',
      expect.stringMatching(/^\.pancode\/teams\/worse\.yaml: not valid YAML: /),
    ]);
    const layered = registry.withRepository(repo);
    expect(layered.listTeams().map((t) => [t.name, t.source])).toEqual([
      ["review", "repo"],
      ["security", "repo"],
    ]);
    expect(layered.resolveTeam("security").agents.map((a) => a.name)).toEqual(["audit", "red-team"]);
    expect(layered.resolveTeam("review").agents.map((a) => a.name)).toEqual(["reviewer"]);
    expect(registry.resolveTeam("review").agents).toHaveLength(3);
  });

  it("refuses a team that lists an agent twice", () => {
    expect(TeamSpec.safeParse({ name: "t", agents: ["dev", "dev"] }).error?.issues[0]?.message).toBe("lists dev twice");
  });

  it("names the teams for an unknown team and the agents for an unknown member", () => {
    expect(() => registry.resolveTeam("nope")).toThrow('unknown team "nope"; available teams: review');
    const layered = registry.withRepository({
      teams: [TeamSpec.parse({ name: "ghosts", agents: ["dev", "casper"], source: "repo" })],
    });
    expect(() => layered.resolveTeam("ghosts")).toThrow(
      `team "ghosts" names unknown agent(s) "casper"; available agents: ${FLEET.join(", ")}`,
    );
  });
});
