import { consoleAssetsDir } from "@pancode/console";
import { type AgentCluster, startAgentCluster } from "@pancode/testing/agent-cluster";
import type { Cluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { type ModelServer, type Scenario, startModelServer } from "@pancode/testing/model-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, launchBrowser, logIn, type Session, screenshot } from "./browser.js";

// The web console in Debian's chromium against a real cluster: the coordinator serves the built console and its
// /api/v1, one worker runs the real Pi agent (scripted model server) and shell commands in Docker. One cluster for
// the whole file; the tests run in order and build on each other's runs.

const XSS_SCRIPT = "<script>alert('xss-text')</script>";
const XSS_IMG = "<img src=x onerror=alert('xss-img')>";
const PATCH_SCRIPT = "<script>alert('xss-patch')</script>";
const PATCH_IMG = "<img src=x onerror=alert('xss-patch-img')>";

/** The agent says markup and writes a file of markup: all of it must reach the page as text. */
const WRITER: Scenario = {
  name: "xss-writer",
  turns: [
    {
      text: `Writing xss.html ${XSS_SCRIPT} ${XSS_IMG}`,
      toolCalls: [{ name: "write", arguments: { path: "xss.html", content: `${PATCH_SCRIPT}\n${PATCH_IMG}\n` } }],
      usage: { input: 1200, output: 40 },
      // Slow enough that the page sees the run running with some events before it ends.
      delayMs: 1500,
    },
    { text: `Created xss.html ${XSS_IMG}`, usage: { input: 1300, output: 12 }, delayMs: 1500 },
  ],
};

const skip = !HAVE_CHROMIUM && process.env.CI !== "true";
if (skip) console.warn("console e2e skipped: /usr/bin/chromium is missing (scripts/setup-machine.sh installs it)");

let models: ModelServer;
let agents: AgentCluster;
let cluster: Cluster;
let repo: FixtureRepo;
let browser: Browser;
let baseUrl = "";
const tokens = { admin: "", member: "", viewer: "" };
const sessions: Partial<Record<keyof typeof tokens, Session>> = {};
/** Runs the tests share: a long shell run of the admin's, the member's agent run, and a batch. */
const ids = { sleeper: "", agentRun: "", batch: "" };

/** The console's address, as the coordinator announces it. */
function consoleUrl(logs: string): string {
  const match = /pancode console: (http:\/\/\S+)/.exec(logs);
  if (!match?.[1]) throw new Error(`the coordinator announced no console address:\n${logs}`);
  return match[1];
}

async function cli(args: string[], token = tokens.admin): Promise<string> {
  const result = await cluster.cli(args, { cwd: repo.dir, env: { PANCODE_TOKEN: token }, timeoutMs: 180_000 });
  if (result.code !== 0) throw new Error(`pancode ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
  return result.stdout;
}

async function createToken(name: string, role: string): Promise<string> {
  return JSON.parse(await cli(["tokens", "create", name, "--role", role, "--json"])).token;
}

async function runStatus(id: string): Promise<string> {
  return JSON.parse(await cli(["show", id, "--json"])).status;
}

function page(role: keyof typeof tokens): Page {
  const session = sessions[role];
  if (!session) throw new Error(`${role} is not logged in`);
  return session.page;
}

/** The little of the page's globals the in-page functions below use (this project compiles without the DOM lib). */
interface InPage {
  document: {
    body: unknown;
    querySelector(selector: string): { textContent: string | null } | null;
    querySelectorAll(selector: string): { length: number };
  };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
  seen: string[];
}

/** Records every value the element at `selector` shows, from now on, inside the page (it is never reloaded). */
async function recordStatuses(p: Page, selector: string): Promise<void> {
  await p.evaluate((sel) => {
    const w = globalThis as unknown as InPage;
    w.seen = [];
    const note = () => {
      const text = w.document.querySelector(sel)?.textContent ?? "";
      if (text && w.seen[w.seen.length - 1] !== text) w.seen.push(text);
    };
    note();
    new w.MutationObserver(note).observe(w.document.body, { subtree: true, childList: true, characterData: true });
  }, selector);
}

function seen(p: Page): Promise<string[]> {
  return p.evaluate(() => (globalThis as unknown as InPage).seen);
}

beforeAll(async () => {
  if (skip) return;
  models = await startModelServer({ scenarios: { writer: WRITER } });
  agents = await startAgentCluster({
    providers: [
      {
        name: "scripted",
        api: "openai-completions",
        baseUrl: models.openaiBaseUrl,
        models: [{ id: "writer", price: { input: 1, output: 2 } }],
      },
    ],
    defaultModel: "scripted/writer",
    apiKey: "sk-scripted-console",
    coordinatorEnv: { PANCODE_CONSOLE_LISTEN: "127.0.0.1:0", PANCODE_CONSOLE_ASSETS: consoleAssetsDir() },
    // One slot: the member's run waits (pending) while the admin's long run holds it.
    workerEnv: { PANCODE_WORKER_CONCURRENCY: "1" },
  });
  cluster = agents.cluster;
  repo = await createRepo({ files: { "README.md": "# console demo\n" } });
  tokens.admin = cluster.clientToken;
  tokens.member = await createToken("mia", "member");
  tokens.viewer = await createToken("vic", "viewer");
  baseUrl = consoleUrl(cluster.coordinatorLogs());
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await repo?.cleanup();
  await agents?.stop();
  await models?.stop();
});

describe.skipIf(skip)("the web console", () => {
  it("refuses a wrong token with the server's message, then logs in each role", async () => {
    const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1360, height: 900 } });
    const login = await context.newPage();
    await login.goto("/runs");
    await login.locator("#token").waitFor();
    await screenshot(login, "01-login");
    await login.fill("#token", "pct_not-a-token");
    await login.click("button[type=submit]");
    await expect.poll(() => login.getByRole("alert").textContent()).toMatch(/token/i);
    await screenshot(login, "02-login-refused");
    await context.close();

    for (const role of ["admin", "member", "viewer"] as const) {
      sessions[role] = await logIn(browser, baseUrl, tokens[role]);
    }
    expect(await page("member").getByTestId("whoami").textContent()).toContain("mia · member");
    expect(await page("viewer").getByTestId("whoami").textContent()).toContain("vic · viewer");
    expect(await page("admin").getByTestId("whoami").textContent()).toContain("admin");
  });

  it("shows a member's run go from pending to done live: its events, diff and receipt (PASS)", async () => {
    // The admin's long run takes the only slot, so the member's run is pending when its page opens.
    ids.sleeper = JSON.parse(await cli(["dispatch", "sleep 300", "--agent", "shell", "--isolate", "--json"])).runId;
    await expect.poll(() => runStatus(ids.sleeper), { timeout: 60_000 }).toBe("running");
    const task = `Create xss.html ${XSS_IMG}`;
    ids.agentRun = JSON.parse(
      await cli(["dispatch", task, "--agent", "dev", "--isolate", "--json"], tokens.member),
    ).runId;

    const member = page("member");
    await member.goto(`/runs/${ids.agentRun}`);
    await member.locator("h1 .status").waitFor();
    expect(await member.locator("h1 .status").textContent()).toBe("pending");
    await recordStatuses(member, "h1 .status");
    // The page follows the run over its event stream (it polls only while the stream is down).
    await member.locator(".live.on").waitFor();
    await screenshot(member, "03-run-pending");

    // The viewer may not stop anything: the button is disabled and says why, in the server's words.
    const viewer = page("viewer");
    await viewer.goto(`/runs/${ids.sleeper}`);
    const viewerStop = viewer.getByRole("button", { name: "Stop" });
    await viewerStop.waitFor();
    expect(await viewerStop.isDisabled()).toBe(true);
    await viewer.getByText("stop run needs role member; you are vic (viewer)").waitFor();
    await screenshot(viewer, "04-run-viewer-cannot-stop");

    // A member may stop only their own (or their team's) runs: the server refuses, its message is shown.
    const other = await sessions.member?.context.newPage();
    if (!other) throw new Error("no member context");
    await other.goto(`/runs/${ids.sleeper}`);
    await other.getByRole("button", { name: "Stop" }).click();
    await expect
      .poll(() => other.getByRole("alert").textContent())
      .toBe(`stop run ${ids.sleeper} needs role admin (it is admin's); you are mia (member)`);
    await screenshot(other, "05-run-member-refused");
    await other.close();
    expect(await runStatus(ids.sleeper)).toBe("running");

    // The admin stops it; the slot frees and the member's run starts.
    const admin = page("admin");
    await admin.goto(`/runs/${ids.sleeper}`);
    await admin.getByRole("button", { name: "Stop" }).click();
    await expect.poll(() => admin.locator("h1 .status").textContent(), { timeout: 60_000 }).toBe("interrupted");
    await screenshot(admin, "06-run-stopped");

    // The member's page, never reloaded, follows the run to the end with its events arriving as they happen.
    await expect.poll(() => member.locator("h1 .status").textContent(), { timeout: 180_000 }).toBe("done");
    const statuses = await seen(member);
    expect(statuses[0]).toBe("pending");
    expect(statuses).toContain("running");
    expect(statuses.at(-1)).toBe("done");
    const timeline = member.getByTestId("timeline");
    await timeline.getByText("Turn 2", { exact: true }).waitFor();
    expect(await timeline.locator(".event-tool_call").count()).toBe(1);
    expect(await timeline.locator(".event-tool_call").textContent()).toContain("xss.html");
    await screenshot(member, "07-run-timeline");

    // Markup from the run is text: present verbatim, never parsed, never executed.
    expect(await timeline.textContent()).toContain(`${XSS_SCRIPT} ${XSS_IMG}`);
    expect(await member.getByTestId("run-task").textContent()).toBe(task);

    await member.getByRole("tab", { name: "Logs" }).click();
    await member.getByTestId("logs").waitFor();
    await screenshot(member, "08-run-logs");

    await member.getByRole("tab", { name: "Diff" }).click();
    const diff = member.getByTestId("diff");
    await diff.getByText("xss.html").waitFor();
    expect(await diff.textContent()).toContain(`+${PATCH_SCRIPT}`);
    expect(await diff.textContent()).toContain(`+${PATCH_IMG}`);
    await screenshot(member, "09-run-diff");

    await member.getByRole("tab", { name: "Receipt" }).click();
    await expect.poll(() => member.getByTestId("verdict").textContent()).toBe("PASS");
    expect(await member.getByTestId("signatures").textContent()).not.toBe("");
    await screenshot(member, "10-run-receipt");

    await member.getByRole("tab", { name: "Audit" }).click();
    await member.getByTestId("audit").getByText("dispatch").first().waitFor();
    await screenshot(member, "11-run-audit");

    expect(await member.locator("img").count()).toBe(0);
    const inlineScripts = () => (globalThis as unknown as InPage).document.querySelectorAll("script:not([src])").length;
    expect(await member.evaluate(inlineScripts)).toBe(0);
    expect(sessions.member?.dialogs).toEqual([]);
  });

  it("shows a batch's progress until every item is done", async () => {
    const tasks = ["sleep 2; echo one", "sleep 2; echo two", "sleep 2; echo three"].flatMap((t) => ["-t", t]);
    ids.batch = JSON.parse(
      await cli(["batch", ...tasks, "--agent", "shell", "-c", "1", "--isolate", "--json"], tokens.member),
    ).batchId;
    const member = page("member");
    await member.goto(`/batches/${ids.batch}`);
    await member.locator(".progress-label").first().waitFor();
    await recordStatuses(member, ".progress-label");
    await expect.poll(() => member.locator("h1 .status").textContent(), { timeout: 120_000 }).toBe("done");
    await expect.poll(() => member.locator(".progress-label").first().textContent()).toBe("3/3");
    const progress = await seen(member);
    expect(progress.length, progress.join(", ")).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe("3/3");
    expect(await member.getByTestId("batch-items").locator(".status-done").count()).toBe(3);
    await screenshot(member, "12-batch");
    await member.goto("/batches");
    await member.getByText("3/3").waitFor();
    await screenshot(member, "13-batches");
  });

  it("lists runs with filters, and shows a new run without a reload", async () => {
    const member = page("member");
    await member.goto("/runs");
    await member.locator(`tr[data-run="${ids.agentRun}"]`).waitFor();
    await member.selectOption("select[name=status]", "interrupted");
    await expect.poll(() => member.locator("tbody tr").count()).toBe(1);
    await member.locator(`tr[data-run="${ids.sleeper}"]`).waitFor();
    await member.selectOption("select[name=status]", "");
    const fresh = JSON.parse(await cli(["dispatch", "echo fresh", "--agent", "shell", "--isolate", "--json"])).runId;
    await member.locator(`tr[data-run="${fresh}"] .status-done`).waitFor({ timeout: 60_000 });
    await screenshot(member, "14-runs");
  });

  it("dispatches from the form on a workspace the member's CLI uploaded; a viewer may not", async () => {
    const viewer = page("viewer");
    await viewer.goto("/dispatch");
    await viewer.getByText("dispatch needs role member; you are vic (viewer)").waitFor();
    expect(await viewer.getByRole("button", { name: "Dispatch" }).isDisabled()).toBe(true);

    const member = page("member");
    await member.goto("/dispatch");
    // The repository state the member's CLI uploaded (named by the newest run that used it).
    await member.locator('#workspace option[value^="run:"]').first().waitFor({ state: "attached" });
    // The agent field suggests the cluster's agents (the member's "dev" among them).
    await member.locator('#cluster-agents option[value="dev"]').waitFor({ state: "attached" });
    await member.fill("#agent", "shell");
    await member.fill("#task", "echo dispatched from the console");
    await screenshot(member, "15-dispatch");
    await member.getByRole("button", { name: "Dispatch" }).click();
    await member.waitForURL(/\/runs\/[^/]+$/);
    await expect.poll(() => member.locator("h1 .status").textContent(), { timeout: 60_000 }).toBe("done");
    expect(await member.getByTestId("run-task").textContent()).toBe("echo dispatched from the console");
  });

  it("shows budgets and cost; only an admin sets a ceiling", async () => {
    const viewer = page("viewer");
    await viewer.goto("/budget");
    await viewer.getByText("set budget needs role admin; you are vic (viewer)").waitFor();

    const admin = page("admin");
    await admin.goto("/budget");
    await admin.getByTestId("budget").waitFor();
    await admin.fill("input[name=usd]", "50");
    await admin.getByRole("button", { name: "Set budget" }).click();
    await admin.getByTestId("budget").getByRole("cell", { name: "$50.0000" }).first().waitFor();
    await admin.getByTestId("cost").getByText("dev").waitFor();
    await screenshot(admin, "16-budget-cost");
    await admin.getByRole("button", { name: "by user" }).click();
    await admin.getByTestId("cost").getByText("mia").waitFor();
  });

  it("shows the audit trail with filters and verifies its chain; lists workers and chains", async () => {
    const viewer = page("viewer");
    await viewer.goto("/audit");
    await viewer.getByTestId("audit").waitFor();
    await viewer.selectOption("select[name=category]", "budget");
    await expect.poll(() => viewer.getByTestId("audit").locator("tbody tr").count()).toBeGreaterThan(0);
    await viewer.getByRole("button", { name: "Verify the chain" }).click();
    await expect.poll(() => viewer.getByTestId("audit-verify").textContent()).toMatch(/^OK audit chain OK/);
    await screenshot(viewer, "17-audit");

    // A run in progress shows in its worker's row (the running runs, by the worker that claimed them).
    const busy = JSON.parse(await cli(["dispatch", "sleep 120", "--agent", "shell", "--isolate", "--json"]))
      .runId as string;
    await viewer.goto("/workers");
    const row = viewer.getByTestId("workers").locator("tr", { hasText: "w1" });
    await row.getByText(busy.slice(0, 8)).waitFor({ timeout: 60_000 });
    expect(await viewer.getByRole("button", { name: "Drain", exact: true }).isDisabled()).toBe(true);
    await screenshot(viewer, "18-workers");
    await cli(["stoprun", busy]);

    await viewer.goto("/chains");
    await viewer.locator("h1").getByText("Chains").waitFor();
    await screenshot(viewer, "19-chains");
    for (const session of Object.values(sessions)) expect(session?.dialogs).toEqual([]);
  });
});
