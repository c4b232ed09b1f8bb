import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliResult, type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The console's HTTP API against a real cluster (Postgres, NATS, a Docker worker): scripts with bearer tokens of
// each role, a browser-like session with its cookie, and the CLI's --json output as the reference for every field.

let cluster: Cluster;
let repo: FixtureRepo;
let assets: string;
let base: string;
const tokens: Record<string, string> = {};

const INDEX_HTML = '<!doctype html><html><head><script type="module" src="/app.js"></script></head></html>\n';

beforeAll(async () => {
  assets = await mkdtemp(join(tmpdir(), "pancode-console-assets-"));
  await writeFile(join(assets, "index.html"), INDEX_HTML);
  await writeFile(join(assets, "app.js"), "console.log('console');\n");
  cluster = await startCluster({
    workers: 1,
    coordinatorEnv: {
      PANCODE_CONSOLE_LISTEN: "127.0.0.1:0",
      PANCODE_CONSOLE_ASSETS: assets,
      PANCODE_DEFAULT_AGENT: "shell",
    },
  });
  const announced = /pancode console: (http:\/\/\S+)/.exec(cluster.coordinatorLogs());
  if (!announced?.[1])
    throw new Error(`the coordinator did not print its console address:\n${cluster.coordinatorLogs()}`);
  base = announced[1].replace(/\/$/, "");
  repo = await createRepo({ files: { "a.txt": "foo\n" } });
  for (const [name, role] of [
    ["eli", "viewer"],
    ["mia", "member"],
  ] as const) {
    const created = await cluster.cli(["tokens", "create", name, "--role", role, "--json"], { cwd: repo.dir });
    expect(created.code, created.stderr).toBe(0);
    tokens[name] = JSON.parse(created.stdout).token;
  }
  tokens.admin = cluster.clientToken;
});

afterAll(async () => {
  await repo?.cleanup();
  await cluster?.stop();
  if (assets) await rm(assets, { recursive: true, force: true });
});

/** The CLI as `who`. */
function cli(who: string, args: string[]): Promise<CliResult> {
  return cluster.cli(args, { cwd: repo.dir, env: { PANCODE_TOKEN: tokens[who] ?? "" }, timeoutMs: 120_000 });
}

async function cliJson<T>(who: string, args: string[]): Promise<T> {
  const result = await cli(who, [...args, "--json"]);
  expect(result.code, `pancode ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** A request to the console listener as `who` (a bearer token), or with no credentials. */
function api(path: string, init: RequestInit & { as?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.as) headers.set("Authorization", `Bearer ${tokens[init.as]}`);
  return fetch(`${base}${path}`, { ...init, headers });
}

async function apiJson<T>(path: string, who: string): Promise<T> {
  const res = await api(path, { as: who });
  expect(res.status, `GET ${path}: ${await res.clone().text()}`).toBe(200);
  return (await res.json()) as T;
}

/** The `{ error: { code, message } }` of an error answer. */
async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

function expectSecurityHeaders(res: Response): void {
  expect(res.headers.get("content-security-policy")).toBe(
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
}

/** The messages of a finished SSE body: `event` ("message" unless named), `id`, parsed `data`. */
function sseMessages(body: string): { event: string; id?: string; data: Record<string, unknown> }[] {
  return body
    .split("\n\n")
    .map((block) => block.split("\n").filter((line) => line && !line.startsWith(":")))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      return { event: field("event") ?? "message", id: field("id"), data: JSON.parse(field("data") ?? "null") };
    });
}

describe("console listener", () => {
  it("refuses a request without credentials with 401 and a one-line error", async () => {
    const res = await api("/api/v1/runs");
    expect(res.status).toBe(401);
    expectSecurityHeaders(res);
    const error = await errorOf(res);
    expect(error.code).toBe("unauthenticated");
    expect(error.message).not.toContain("\n");
  });

  it("serves the console with the strict CSP, and index.html for client-side routes", async () => {
    for (const path of ["/", "/runs/abc123"]) {
      const res = await api(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expectSecurityHeaders(res);
      expect(await res.text()).toBe(INDEX_HTML);
    }
    const script = await api("/app.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const traversal = await api("/..%2f..%2f..%2fetc%2fpasswd");
    expect(await traversal.text()).toBe(INDEX_HTML);
  });

  it("answers unknown endpoints and bad parameters with JSON errors", async () => {
    const missing = await api("/api/v1/nothing", { as: "eli" });
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe("not_found");
    const bad = await api("/api/v1/runs?limit=0", { as: "eli" });
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toEqual({
      code: "invalid_argument",
      message: 'limit must be a whole number from 1 to 1000, got "0"',
    });
    const unknownRun = await api("/api/v1/runs/ffffffff", { as: "eli" });
    expect(unknownRun.status).toBe(404);
    expect((await errorOf(unknownRun)).code).toBe("not_found");
  });
});

describe("a run over HTTP, field for field as the CLI prints it", () => {
  let runId: string;

  beforeAll(async () => {
    const run = await cliJson<{ runId: string; status: string }>("mia", [
      "dispatch",
      "sed -i s/foo/bar/ a.txt && echo '<script>alert(1)</script>'",
      "--agent",
      "shell",
      "--wait",
    ]);
    expect(run.status).toBe("done");
    runId = run.runId;
  });

  it("GET /runs and /runs/{id} equal `runs --json` and `show --json`", async () => {
    const listed = await apiJson<{ runs: { runId: string }[] }>("/api/v1/runs?user=mia&status=done", "eli");
    const cliRuns = await cliJson<{ runs: { runId: string }[] }>("eli", ["runs", "--user", "mia"]);
    expect(listed.runs.find((r) => r.runId === runId)).toEqual(cliRuns.runs.find((r) => r.runId === runId));
    // The list carries the run's tokens (the console's Runs page shows them; a shell agent reports none).
    expect(listed.runs.find((r) => r.runId === runId)).toHaveProperty("tokens", 0);
    const shown = await api(`/api/v1/runs/${runId}`, { as: "eli" });
    expectSecurityHeaders(shown);
    expect(shown.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await shown.json()).toEqual(await cliJson("eli", ["show", runId]));
  });

  it("GET /runs/{id}/events equals `logs --json`; run output stays JSON text", async () => {
    const events = await apiJson<{ events: { kind: string; text: string }[] }>(`/api/v1/runs/${runId}/events`, "eli");
    expect(events).toEqual(await cliJson("eli", ["logs", runId]));
    expect(events.events.some((e) => e.kind === "stdout" && e.text.includes("<script>alert(1)</script>"))).toBe(true);
  });

  it("GET /runs/{id}/patch is the patch as a plain-text attachment", async () => {
    const res = await api(`/api/v1/runs/${runId}/patch`, { as: "eli" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${runId}.patch"`);
    expectSecurityHeaders(res);
    const diff = await cli("eli", ["diff", runId]);
    expect(await res.text()).toBe(diff.stdout);
  });

  it("GET /runs/{id}/receipt verifies on the server as `receipt verify` does", async () => {
    const body = await apiJson<{
      receipt: { receiptId: string; runId: string };
      verification: { ok: boolean; result: string; failures: string[] };
    }>(`/api/v1/runs/${runId}/receipt`, "eli");
    const verified = await cliJson<{ result: string; receiptId: string }>("eli", ["receipt", "verify", runId]);
    expect(body.verification).toMatchObject({ ok: true, result: verified.result, failures: [] });
    expect(body.receipt).toMatchObject({ receiptId: verified.receiptId, runId });
  });

  it("GET /runs/{id}/audit equals `audit run:<id> --json`", async () => {
    const body = await apiJson<{ entries: unknown[] }>(`/api/v1/runs/${runId}/audit`, "eli");
    expect(body.entries.length).toBeGreaterThan(0);
    expect(body).toEqual(await cliJson("eli", ["audit", `run:${runId}`, "--limit", "1000"]));
  });

  it("a viewer may read but not stop: 403 with the CLI's one-line message", async () => {
    const res = await api(`/api/v1/runs/${runId}/stop`, { method: "POST", as: "eli" });
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toEqual({
      code: "permission_denied",
      message: "stop run needs role member; you are eli (viewer)",
    });
  });
});

describe("live events", () => {
  it("the SSE stream delivers the run's events, then its terminal status, and resumes after Last-Event-ID", async () => {
    const run = await cliJson<{ runId: string }>("mia", [
      "dispatch",
      "echo first; sleep 2; echo second",
      "--agent",
      "shell",
    ]);
    const res = await api(`/api/v1/runs/${run.runId}/events/stream`, { as: "eli" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expectSecurityHeaders(res);
    // The body ends only when the server ends the stream: after the run's terminal status.
    const messages = sseMessages(await res.text());
    const statuses = messages.filter((m) => m.event === "status").map((m) => m.data.status);
    expect(statuses.at(-1)).toBe("done");
    expect(messages.at(-1)?.event).toBe("status");
    const output = messages
      .filter((m) => m.event === "message" && m.data.kind === "stdout")
      .map((m) => m.data.text)
      .join("");
    expect(output).toContain("first");
    expect(output).toContain("second");
    const events = messages.filter((m) => m.event === "message");
    expect(events.every((m) => m.id === String(m.data.seq))).toBe(true);

    const firstSeq = Number(events[0]?.id);
    const resumed = await api(`/api/v1/runs/${run.runId}/events/stream`, {
      as: "eli",
      headers: { "Last-Event-ID": String(firstSeq) },
    });
    const again = sseMessages(await resumed.text()).filter((m) => m.event === "message");
    expect(again.length).toBe(events.length - 1);
    expect(again.every((m) => Number(m.data.seq) > firstSeq)).toBe(true);
  });
});

/** Reads an open SSE body until `done` holds for the messages so far; then stops reading. */
async function readUntil(
  res: Response,
  done: (messages: ReturnType<typeof sseMessages>) => boolean,
): Promise<ReturnType<typeof sseMessages>> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done: ended } = await reader.read();
    if (ended) throw new Error(`the stream ended before the expected message:\n${text}`);
    text += decoder.decode(value, { stream: true });
    const complete = text.slice(0, text.lastIndexOf("\n\n") + 2);
    const messages = sseMessages(complete);
    if (done(messages)) {
      await reader.cancel();
      return messages;
    }
  }
}

describe("dispatch from the console", () => {
  it("a member dispatches on a workspace their CLI uploaded; the run is isolated; a viewer is refused", async () => {
    const listed = await apiJson<{ workspaces: { ref: string; repo: string; commit: string }[] }>(
      "/api/v1/workspaces",
      "mia",
    );
    const workspace = listed.workspaces[0];
    expect(workspace?.ref).toMatch(/^run:/);
    const post = (who: string, body: unknown) =>
      api("/api/v1/runs", { method: "POST", as: who, body: JSON.stringify(body) });
    const task = { task: "echo from-the-console > b.txt", agent: "shell", workspace: workspace?.ref };
    const refused = await post("eli", task);
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toEqual({
      code: "permission_denied",
      message: "dispatch needs role member; you are eli (viewer)",
    });
    const bogus = await post("mia", { ...task, workspace: "sha256:abc" });
    expect(bogus.status).toBe(400);
    expect((await errorOf(bogus)).message).toContain("GET /api/v1/workspaces");
    const created = await post("mia", task);
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await cliJson("mia", ["show", id])).toMatchObject({ isolate: true, user: "mia" });
    const waited = await cli("mia", ["watch", id]);
    expect(waited.code, waited.stderr).toBe(0);
    const finished = await cliJson<{ status: string; patch: { files: { path: string }[] } }>("mia", ["show", id]);
    expect(finished.status).toBe("done");
    expect(finished.patch.files.map((f) => f.path)).toEqual(["b.txt"]);
  });
});

describe("batches", () => {
  it("a batch, its runs and its stop equal the CLI's; a viewer may not stop it", async () => {
    const batch = await cliJson<{ batchId: string; runs: { runId: string }[] }>("mia", [
      "batch",
      ...["-t", "echo one", "-t", "echo two"],
      ...["--agent", "shell", "--isolate", "--wait"],
    ]);
    expect(await apiJson(`/api/v1/batches/${batch.batchId}`, "eli")).toEqual(
      await cliJson("eli", ["batches", batch.batchId]),
    );
    const listed = await apiJson<{ batches: { batchId: string }[] }>("/api/v1/batches", "eli");
    expect(listed.batches.map((b) => b.batchId)).toContain(batch.batchId);
    const runs = await apiJson<{ runs: { runId: string }[] }>(`/api/v1/runs?batch=${batch.batchId}`, "eli");
    expect(runs.runs.map((r) => r.runId).sort()).toEqual(batch.runs.map((r) => r.runId).sort());
    const stop = (who: string) => api(`/api/v1/batches/${batch.batchId}/stop`, { method: "POST", as: who });
    const refused = await stop("eli");
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).message).toBe("stop run needs role member; you are eli (viewer)");
    const finished = await stop("mia");
    expect(finished.status).toBe(200);
    expect(await finished.json()).toMatchObject({ stopped: false, alreadyFinished: true });
  });
});

describe("cluster-wide live events", () => {
  it("GET /api/v1/events sends a run when it appears and when its status or receipt changes", async () => {
    const res = await api("/api/v1/events", { as: "eli" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const run = await cliJson<{ runId: string }>("mia", ["dispatch", "echo hello", "--agent", "shell", "--wait"]);
    const messages = await readUntil(res, (m) =>
      // The receipt is written just after the status: its arrival is a change the page hears of too.
      m.some((x) => x.event === "run" && x.data.runId === run.runId && x.data.status === "done" && x.data.receiptId),
    );
    const mine = messages.filter((m) => m.data.runId === run.runId);
    expect(mine.every((m) => m.event === "run")).toBe(true);
    expect(mine.at(-1)?.data).toEqual(
      await cliJson<{ runs: { runId: string }[] }>("eli", ["runs"]).then((r) =>
        r.runs.find((x) => x.runId === run.runId),
      ),
    );
  });
});

describe("browser session", () => {
  let cookie: string;

  it("logs in with a token: HttpOnly, SameSite=Strict cookie; a bad token is 401", async () => {
    const bad = await api("/api/v1/session", { method: "POST", body: JSON.stringify({ token: "pct_nope" }) });
    expect(bad.status).toBe(401);
    const res = await api("/api/v1/session", { method: "POST", body: JSON.stringify({ token: tokens.mia }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "mia", role: "member" });
    const setCookie = res.headers.getSetCookie();
    expect(setCookie).toHaveLength(1);
    const flags = (setCookie[0] ?? "").split("; ");
    expect(flags[0]).toMatch(/^pancode_session=[A-Za-z0-9_-]{40,}$/);
    expect(flags).toEqual(expect.arrayContaining(["HttpOnly", "SameSite=Strict", "Path=/"]));
    expect(setCookie[0]).not.toContain(tokens.mia);
    cookie = flags[0] as string;
    const me = await api("/api/v1/session", { headers: { Cookie: cookie } });
    expect(await me.json()).toMatchObject({ name: "mia", role: "member" });
  });

  it("refuses a cookie-authenticated POST without the CSRF header; with it the member stops their run", async () => {
    const run = await cliJson<{ runId: string }>("mia", ["dispatch", "sleep 300", "--agent", "shell"]);
    const path = `/api/v1/runs/${run.runId}/stop`;
    const forged = await api(path, { method: "POST", headers: { Cookie: cookie } });
    expect(forged.status).toBe(403);
    expect((await errorOf(forged)).code).toBe("csrf_required");
    expect((await cliJson<{ status: string }>("mia", ["show", run.runId])).status).not.toBe("interrupted");
    const stopped = await api(path, { method: "POST", headers: { Cookie: cookie, "X-PanCode-CSRF": "1" } });
    expect(stopped.status).toBe(200);
    expect(await stopped.json()).toMatchObject({ stopped: true });
  });

  it("logs out: the cookie no longer works", async () => {
    const out = await api("/api/v1/session", { method: "DELETE", headers: { Cookie: cookie, "X-PanCode-CSRF": "1" } });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie()[0]).toContain("Max-Age=0");
    const me = await api("/api/v1/session", { headers: { Cookie: cookie } });
    expect(me.status).toBe(401);
  });
});

describe("cluster endpoints", () => {
  it("an admin sets the budget; a member is refused with the role message", async () => {
    const put = (who: string, body: unknown) =>
      api("/api/v1/budget", { method: "PUT", as: who, body: JSON.stringify(body) });
    const refused = await put("mia", { usd: 30 });
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toEqual({
      code: "permission_denied",
      message: "set budget needs role admin; you are mia (member)",
    });
    const bad = await put("admin", { usd: -1 });
    expect(bad.status).toBe(400);
    const set = await put("admin", { usd: 25 });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ ceilingUsd: 25, team: "" });
    const budget = await apiJson<{ cluster: unknown }>("/api/v1/budget", "eli");
    expect(budget.cluster).toEqual(await cliJson("eli", ["budget"]));
  });

  it("workers, audit, audit verify, cost and agents equal the CLI's --json", async () => {
    // Heartbeat times move between two calls: the workers and their fields must match.
    const ids = (doc: { workers: { id: string }[] }) => doc.workers.map((w) => Object.keys(w).join(",") + w.id);
    expect(ids(await apiJson("/api/v1/workers", "eli"))).toEqual(ids(await cliJson("eli", ["workers"])));
    expect(await apiJson("/api/v1/audit?filter=budget", "eli")).toEqual(await cliJson("eli", ["audit", "budget"]));
    expect(await apiJson("/api/v1/audit/verify", "eli")).toEqual(await cliJson("eli", ["audit", "verify"]));
    expect(await apiJson("/api/v1/cost?by=user", "eli")).toEqual(await cliJson("eli", ["cost", "--by", "user"]));
    // The fixture repository defines no agents of its own, so the CLI there lists the cluster's, as the API does.
    const agents = await apiJson<{ agents: { name: string }[] }>("/api/v1/agents", "eli");
    expect(agents.agents.map((a) => a.name)).toContain("shell");
    expect(agents).toEqual(await cliJson("eli", ["agents"]));
  });
});
