import { execFileSync, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type CliResult, type Cluster, REPO_ROOT, runCli, startCluster } from "@pancode/testing/cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Login and contexts through the built CLI against two real coordinators: "alpha" in plaintext and "beta" serving
// TLS with its own certificate. Two people, each with their own config home (XDG_CONFIG_HOME), and nothing in the
// environment saying where to connect unless a test puts it there.

const CLI_BIN = join(REPO_ROOT, "apps/cli/bin/pancode.js");

let alpha: Cluster;
let beta: Cluster;
let scratch: string;
let betaCa: string;

/** No PANCODE_* variable leaks in from the test's own environment: the contexts decide. */
const NEUTRAL = { PANCODE_COORDINATOR: "", PANCODE_TOKEN: "", PANCODE_CONTEXT: "", PANCODE_TLS_CA: "" };

/** One person: a config home, and the CLI run with it. */
interface Person {
  home: string;
  configFile: string;
  cli(args: string[], options?: { env?: Record<string, string>; stdin?: string }): Promise<CliResult>;
}

function person(name: string): Person {
  const home = join(scratch, name);
  return {
    home,
    configFile: join(home, "pancode", "config.yaml"),
    cli: (args, options = {}) =>
      runCli(args, {
        cwd: scratch,
        env: { ...NEUTRAL, XDG_CONFIG_HOME: home, ...options.env },
        stdin: options.stdin,
        timeoutMs: 60_000,
      }),
  };
}

/** The coordinator address `pancode status --json` reports: where the command connected. */
async function statusAddress(p: Person, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const result = await p.cli([...args, "status", "--json"], { env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout).coordinator.address;
}

let ana: Person;
let bo: Person;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "pancode-contexts-"));
  const certDir = join(scratch, "beta-tls");
  await mkdir(certDir);
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", join(certDir, "key.pem"), "-out", join(certDir, "cert.pem")],
    ],
    { stdio: "ignore" },
  );
  betaCa = join(certDir, "cert.pem");
  [alpha, beta] = await Promise.all([
    startCluster({ workers: 0 }),
    startCluster({
      workers: 0,
      coordinatorEnv: { PANCODE_TLS_CERT: betaCa, PANCODE_TLS_KEY: join(certDir, "key.pem") },
    }),
  ]);
  ana = person("ana");
  bo = person("bo");
}, 240_000);

afterAll(async () => {
  await Promise.all([alpha?.stop(), beta?.stop()]);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("pancode login", () => {
  it("checks the token, saves the context 0600 in a 0700 directory, and makes it current", async () => {
    const login = await ana.cli(["login", alpha.address, "--name", "alpha", "--token-stdin"], {
      stdin: `${alpha.clientToken}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('context "alpha"');
    expect((await stat(ana.configFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(ana.home, "pancode"))).mode & 0o777).toBe(0o700);
    expect((await ana.cli(["context", "current"])).stdout).toBe("alpha\n");
    expect(await statusAddress(ana)).toBe(alpha.address);
  });

  it("a wrong token or an unreachable address saves nothing and says which", async () => {
    const before = await readFile(ana.configFile, "utf8");
    const wrong = await ana.cli(["login", beta.address, "--name", "beta", "--ca", betaCa, "--token-stdin"], {
      stdin: alpha.clientToken,
    });
    expect(wrong.code).toBe(4);
    // (Node warns, DEP0123, when grpc-js names an IP address as the TLS server name: not ours to silence.)
    expect(wrong.stderr).toMatch(/^pancode: login failed: .* refused the token; nothing saved\n$/m);
    const unreachable = await ana.cli(["login", "127.0.0.1:9", "--token-stdin"], { stdin: "t" });
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toMatch(/^pancode: login failed: no coordinator answered at 127\.0\.0\.1:9.*\n$/);
    // A TLS coordinator dialled without its CA does not answer either.
    const plaintext = await ana.cli(["login", beta.address, "--token-stdin"], { stdin: beta.clientToken });
    expect(plaintext.stderr).toContain("pass --ca");
    expect(await readFile(ana.configFile, "utf8")).toBe(before);
  });

  it("on a terminal it asks for the token without echoing it", async () => {
    // `script` gives the CLI a pseudo-terminal; the token is typed once the prompt shows, as a person would.
    const cy = person("cy");
    const command = `'${process.execPath}' '${CLI_BIN}' login ${alpha.address} --name typed`;
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: scratch,
      env: { ...process.env, ...NEUTRAL, XDG_CONFIG_HOME: cy.home },
    });
    let screen = "";
    let typed = false;
    child.stdout.on("data", (d: Buffer) => {
      screen += d.toString();
      if (!typed && screen.includes("Token: ")) {
        typed = true;
        child.stdin.write(`${alpha.clientToken}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, screen).toBe(0);
    expect(screen).toContain('context "typed"');
    expect(screen).not.toContain(alpha.clientToken);
    expect(await statusAddress(cy)).toBe(alpha.address);
  });

  it("without a terminal it asks for --token-stdin", async () => {
    const result = await ana.cli(["login", alpha.address]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pancode: no terminal .*--token-stdin.*\n$/);
  });

  it("logs in to a TLS coordinator with --ca, keeping the certificate in the context", async () => {
    const login = await ana.cli(["login", beta.address, "--name", "beta", "--ca", betaCa, "--token-stdin"], {
      stdin: beta.clientToken,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(await statusAddress(ana)).toBe(beta.address);
    const list = await ana.cli(["context", "list", "--json"]);
    expect(JSON.parse(list.stdout)).toEqual([
      { name: "alpha", address: alpha.address, tls: false, current: false },
      { name: "beta", address: beta.address, tls: true, current: true },
    ]);
    expect(list.stdout).not.toContain(beta.clientToken);
  });
});

describe("choosing a context", () => {
  it("context use switches; --context and PANCODE_CONTEXT override the current one", async () => {
    expect((await ana.cli(["context", "use", "alpha"])).code).toBe(0);
    expect(await statusAddress(ana)).toBe(alpha.address);
    expect((await ana.cli(["context", "list"])).stdout).toMatch(/^\*\s+alpha\s/m);
    expect(await statusAddress(ana, ["--context", "beta"])).toBe(beta.address);
    const after = await ana.cli(["status", "--json", "--context=beta"]);
    expect(JSON.parse(after.stdout).coordinator.address).toBe(beta.address);
    expect(await statusAddress(ana, [], { PANCODE_CONTEXT: "beta" })).toBe(beta.address);
  });

  it("PANCODE_COORDINATOR / PANCODE_TOKEN beat the current context; --context beats them", async () => {
    const env = { PANCODE_COORDINATOR: beta.address, PANCODE_TOKEN: beta.clientToken, PANCODE_TLS_CA: betaCa };
    expect(await statusAddress(ana, [], env)).toBe(beta.address);
    expect(await statusAddress(ana, ["--context", "alpha"], env)).toBe(alpha.address);
  });

  it("an unknown context is one line listing the known ones, exit 2", async () => {
    for (const result of [
      await ana.cli(["--context", "gamma", "runs"]),
      await ana.cli(["runs"], { env: { PANCODE_CONTEXT: "gamma" } }),
      await ana.cli(["context", "use", "gamma"]),
    ]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('pancode: unknown context "gamma" (known: alpha, beta)\n');
    }
  });

  it("each person has their own contexts", async () => {
    expect(JSON.parse((await bo.cli(["context", "list", "--json"])).stdout)).toEqual([]);
    const login = await bo.cli(["login", beta.address, "--ca", betaCa, "--token-stdin"], { stdin: beta.clientToken });
    expect(login.code, login.stderr).toBe(0);
    expect((await bo.cli(["context", "current"])).stdout).toBe(`127.0.0.1-${beta.address.split(":")[1]}\n`);
    expect(await statusAddress(bo)).toBe(beta.address);
    expect(await statusAddress(ana)).toBe(alpha.address);
  });

  it("context delete forgets a context", async () => {
    const deleted = await bo.cli(["context", "delete", (await bo.cli(["context", "current"])).stdout.trim()]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse((await bo.cli(["context", "list", "--json"])).stdout)).toEqual([]);
  });
});

/** The budget ceiling `pancode mcp` (started with `args` before `mcp`) reports over MCP: which cluster it serves. */
async function mcpCeiling(p: Person, args: string[], env: Record<string, string> = {}): Promise<number> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_BIN, ...args, "mcp"],
    cwd: scratch,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", XDG_CONFIG_HOME: p.home, ...env },
    stderr: "pipe",
  });
  const client = new Client({ name: "pancode-e2e", version: "0.0.0" });
  await client.connect(transport);
  try {
    const result = (await client.callTool({ name: "get_budget", arguments: {} })) as { content: { text: string }[] };
    return JSON.parse(result.content[0]?.text ?? "{}").ceilingUsd;
  } finally {
    await client.close();
  }
}

describe("pancode mcp", () => {
  it("serves the cluster the same resolution picks: current context, --context, PANCODE_CONTEXT", async () => {
    const set = await alpha.cli(["budget", "set", "123.45"], { cwd: scratch });
    expect(set.code, set.stderr).toBe(0);
    const setBeta = await ana.cli(["--context", "beta", "budget", "set", "67.89"]);
    expect(setBeta.code, setBeta.stderr).toBe(0);
    expect((await ana.cli(["context", "current"])).stdout).toBe("alpha\n");
    expect(await mcpCeiling(ana, [])).toBe(123.45);
    expect(await mcpCeiling(ana, ["--context", "beta"])).toBe(67.89);
    expect(await mcpCeiling(ana, [], { PANCODE_CONTEXT: "beta" })).toBe(67.89);
  });
});

describe("a config file in bad shape", () => {
  it("with group/other permissions it still works, with a warning naming the fix", async () => {
    await chmod(ana.configFile, 0o644);
    const result = await ana.cli(["status", "--json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `pancode: warning: ${ana.configFile} (mode 644) holds tokens other users can read; run: chmod 600 ${ana.configFile}\n`,
    );
    await chmod(ana.configFile, 0o600);
  });

  it("malformed: one line naming the file and the line, and login does not overwrite it", async () => {
    const broken = "current-context: alpha\ncontexts:\n  - name: alpha\n  address: [\n";
    await writeFile(bo.configFile, broken, { mode: 0o600 });
    for (const result of [
      await bo.cli(["runs"]),
      await bo.cli(["login", alpha.address, "--token-stdin"], { stdin: alpha.clientToken }),
    ]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^pancode: ${bo.configFile}:4: not valid YAML: [^\\n]+\\n$`));
    }
    expect(await readFile(bo.configFile, "utf8")).toBe(broken);
  });
});

describe("three people, each logged in with their own token and config home", () => {
  it("whoami names each, roles follow the token through the context, and a revoked token is refused at once", async () => {
    const admin = person("admin-cy");
    expect(
      (await admin.cli(["login", alpha.address, "--name", "work", "--token-stdin"], { stdin: alpha.clientToken })).code,
    ).toBe(0);
    const mint = async (name: string, role: string, team: string): Promise<string> => {
      const made = await admin.cli(["tokens", "create", name, "--role", role, "--team", team, "--json"]);
      expect(made.code, made.stderr).toBe(0);
      return JSON.parse(made.stdout).token;
    };
    const people = { dee: await mint("dee", "member", "payments"), eli: await mint("eli", "viewer", "web") };
    for (const [name, token] of Object.entries(people)) {
      const login = await person(name).cli(["login", alpha.address, "--name", "work", "--token-stdin"], {
        stdin: token,
      });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain(`as ${name}`);
    }
    const whoami = async (p: Person) => JSON.parse((await p.cli(["whoami", "--json"])).stdout);
    expect(await whoami(admin)).toMatchObject({ name: "admin", role: "admin" });
    expect(await whoami(person("dee"))).toMatchObject({ name: "dee", role: "member", team: "payments" });
    expect(await whoami(person("eli"))).toMatchObject({ name: "eli", role: "viewer", team: "web" });

    const viewerBudget = await person("eli").cli(["budget", "set", "5"]);
    expect(viewerBudget.code).toBe(4);
    expect(viewerBudget.stderr).toMatch(/needs role admin; you are eli \(viewer\)/);

    expect((await admin.cli(["tokens", "revoke", "dee"])).code).toBe(0);
    const revoked = await person("dee").cli(["whoami"]);
    expect(revoked.code).toBe(4);
    // A revoked token cannot log in again either, and the failed login leaves the config as it was.
    const before = await readFile(person("dee").configFile, "utf8");
    const relogin = await person("dee").cli(["login", alpha.address, "--name", "again", "--token-stdin"], {
      stdin: people.dee,
    });
    expect(relogin.code).toBe(4);
    expect(await readFile(person("dee").configFile, "utf8")).toBe(before);
  });
});
