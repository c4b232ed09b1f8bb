import { createHash } from "node:crypto";
import { DIGEST_PREFIX, isPanCodeError } from "@pancode/core";
import {
  auditEntryJson,
  collectBlob,
  MAX_BLOB_BYTES,
  type Receipt,
  type RunInfo,
  runDetailJson,
  runEventJson,
  runJson,
  verifiedChunks,
} from "@pancode/proto";
import {
  parseEnvelope,
  type ReceiptSource,
  readStatement,
  type TrustedKey,
  verifyStoredReceipt,
} from "@pancode/receipts";
import { type ApiAnswer, type ApiContext, type ApiHandler, HANDLED, intParam } from "../context.js";
import type { Route } from "../router.js";
import { openEventStream } from "../sse.js";

/** Runs a listing reads before the status/agent/batch/chain filters narrow it (the client service caps lists). */
const MAX_LIST = 1000;

/** The runs a batch or chain query names (null when the query names neither). */
async function groupRuns(ctx: ApiContext): Promise<RunInfo[] | null> {
  const batch = ctx.url.searchParams.get("batch");
  const chain = ctx.url.searchParams.get("chain");
  if (batch) return (await ctx.api.unary("getBatch", { id: batch }, ctx.token)).runs;
  if (chain) return (await ctx.api.unary("getChain", { id: chain }, ctx.token)).runs;
  return null;
}

/** `GET /api/v1/runs?status=&agent=&user=&team=&batch=&chain=&limit=`: `{ runs }` as `pancode runs --json`. */
async function listRuns(ctx: ApiContext) {
  const q = ctx.url.searchParams;
  const limit = intParam(ctx.url, "limit", { min: 1, max: MAX_LIST, fallback: 50 });
  const user = q.get("user") ?? "";
  const team = q.get("team") ?? "";
  const status = q.get("status") ?? "";
  const agent = q.get("agent") ?? "";
  const narrowed = Boolean(status || agent);
  const runs =
    (await groupRuns(ctx)) ??
    (await ctx.api.unary("listRuns", { limit: narrowed ? MAX_LIST : limit, user, team, mine: false }, ctx.token)).runs;
  const matching = runs.filter(
    (r) =>
      (!status || r.status === status) &&
      (!agent || r.agent === agent) &&
      (!user || r.user === user) &&
      (!team || r.team === team),
  );
  return { json: { runs: matching.slice(0, limit).map(runJson) } };
}

async function showRun(ctx: ApiContext) {
  return { json: runDetailJson(await ctx.api.unary("getRun", { runId: ctx.params.id as string }, ctx.token)) };
}

/** `GET /api/v1/runs/{id}/events`: every event so far, as `pancode logs --json`. */
async function listEvents(ctx: ApiContext) {
  const events = [];
  let runId = ctx.params.id as string;
  const request = { runId, afterSeq: 0, follow: false };
  for await (const item of ctx.api.stream("watchRun", request, ctx.token, ctx.signal)) {
    if (item.run) runId = item.run.id;
    if (item.event) events.push(runEventJson(item.event));
  }
  return { json: { runId, events } };
}

/** The seq to resume after: `Last-Event-ID` (sent by a reconnecting EventSource) or `?after=`. */
function resumeAfter(ctx: ApiContext): number {
  const header = ctx.req.headers["last-event-id"];
  if (typeof header === "string" && /^\d+$/.test(header)) return Number(header);
  return intParam(ctx.url, "after", { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 });
}

/**
 * `GET /api/v1/runs/{id}/events/stream`: SSE. Each event a `data:` line with `id: <seq>`; `event: status` with the
 * run (show --json) first and on every status change; the stream ends after the terminal status.
 */
async function streamEvents(ctx: ApiContext): Promise<ApiAnswer> {
  const afterSeq = resumeAfter(ctx);
  const items = ctx.api.stream(
    "watchRun",
    { runId: ctx.params.id as string, afterSeq, follow: true },
    ctx.token,
    ctx.signal,
  );
  // The first item (the run) is read before the stream opens, so an unknown run or a refusal is a JSON error.
  const first = await items.next();
  const stream = openEventStream(ctx.res);
  try {
    for (let item = first; !item.done; item = await items.next()) {
      const { run, event } = item.value;
      if (run) await stream.send({ event: "status", data: runDetailJson(run) });
      if (event) await stream.send({ id: event.seq, data: runEventJson(event) });
    }
  } catch (err) {
    // Headers are out: the failure goes as a last message the page can show.
    const message = isPanCodeError(err) ? err.message : "the event stream failed; see the coordinator log";
    await stream.send({ event: "error", data: { error: { message } } });
  } finally {
    stream.end();
  }
  return HANDLED;
}

/** A file name safe in a header: the run id's letters, digits and dashes. */
function patchFileName(runId: string): string {
  return `${runId.replace(/[^A-Za-z0-9-]/g, "") || "run"}.patch`;
}

/** `GET /api/v1/runs/{id}/patch`: the delta patch as a plain-text attachment (never rendered by a browser). */
async function patch(ctx: ApiContext): Promise<ApiAnswer> {
  const id = ctx.params.id as string;
  const bytes = await collectBlob(ctx.api.stream("fetchPatch", { runId: id }, ctx.token, ctx.signal), MAX_BLOB_BYTES);
  ctx.res.writeHead(200, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Disposition": `attachment; filename="${patchFileName(id)}"`,
    "Content-Length": String(bytes.length),
  });
  ctx.res.end(bytes);
  return HANDLED;
}

/** The coordinator's receipts, keys and patches as the caller may read them, for {@link verifyStoredReceipt}. */
function receiptSource(ctx: ApiContext): ReceiptSource<Receipt> {
  return {
    async receipt(id) {
      try {
        return await ctx.api.unary("getReceipt", { id }, ctx.token);
      } catch (err) {
        // A unique prefix of a run id names the run's receipt, as in the CLI.
        if (!isPanCodeError(err) || err.code !== "NOT_FOUND") throw err;
        const run = await ctx.api.unary("getRun", { runId: id }, ctx.token);
        if (!run.receiptId) throw err;
        return ctx.api.unary("getReceipt", { id: run.receiptId }, ctx.token);
      }
    },
    async keys() {
      const keys: Record<string, TrustedKey> = {};
      for (const k of (await ctx.api.unary("getKeys", {}, ctx.token)).keys) {
        const role = k.role === "coordinator" ? "coordinator" : "worker";
        keys[k.keyId] = { publicKeyPem: k.publicKeyPem, role, ownerId: k.ownerId, revoked: k.revoked };
      }
      return keys;
    },
    async patchDigest(runId) {
      const hash = createHash("sha256");
      const chunks = verifiedChunks(ctx.api.stream("fetchPatch", { runId }, ctx.token, ctx.signal), MAX_BLOB_BYTES);
      for await (const chunk of chunks) hash.update(chunk);
      return `${DIGEST_PREFIX}${hash.digest("hex")}`;
    },
  };
}

/**
 * `GET /api/v1/runs/{id}/receipt`: `{ receipt, verification }`, the receipt as `pancode receipt show --json` and the
 * verdict of the same code as `pancode receipt verify`, against the cluster's published keys.
 */
async function receipt(ctx: ApiContext) {
  const { receipt, result } = await verifyStoredReceipt(receiptSource(ctx), ctx.params.id as string);
  const envelope = parseEnvelope(receipt.body);
  let statement: unknown = null;
  try {
    statement = readStatement(envelope);
  } catch {
    statement = null;
  }
  return {
    json: {
      receipt: {
        receiptId: receipt.id,
        runId: receipt.runId,
        contentHash: receipt.contentHash,
        createdAt: receipt.createdAt,
        statement,
        signatures: envelope.signatures.map((s) => s.keyid),
      },
      verification: {
        ok: result.ok,
        result: result.ok ? "PASS" : "TAMPERED",
        coordinatorOnly: result.coordinatorOnly,
        failures: result.failures,
        checks: ["signatures", "payload hash", "patch digest"],
      },
    },
  };
}

/** `GET /api/v1/runs/{id}/audit`: the run's audit entries, as `pancode audit run:<id> --json`. */
async function runAudit(ctx: ApiContext) {
  const request = { category: "", runId: ctx.params.id as string, limit: 1000 };
  const { entries } = await ctx.api.unary("listAudit", request, ctx.token);
  return { json: { entries: entries.map(auditEntryJson) } };
}

/** `POST /api/v1/runs/{id}/stop`: as `pancode stoprun <id> --json` (members stop their own runs, admins any). */
async function stopRun(ctx: ApiContext) {
  const request = { runId: ctx.params.id as string, batchId: "", chainId: "", submitter: "" };
  const answer = await ctx.api.unary("stopRun", request, ctx.token);
  return { json: { stopped: !answer.alreadyFinished, ...answer } };
}

export const runRoutes: Route<ApiHandler>[] = [
  { method: "GET", path: "/api/v1/runs", handler: listRuns },
  { method: "GET", path: "/api/v1/runs/:id", handler: showRun },
  { method: "GET", path: "/api/v1/runs/:id/events", handler: listEvents },
  { method: "GET", path: "/api/v1/runs/:id/events/stream", handler: streamEvents },
  { method: "GET", path: "/api/v1/runs/:id/patch", handler: patch },
  { method: "GET", path: "/api/v1/runs/:id/receipt", handler: receipt },
  { method: "GET", path: "/api/v1/runs/:id/audit", handler: runAudit },
  { method: "POST", path: "/api/v1/runs/:id/stop", handler: stopRun },
];
