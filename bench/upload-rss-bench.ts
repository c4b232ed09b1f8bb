/**
 * Peak coordinator memory while several large blobs are uploaded at once (issue 14, item 3). Starts Postgres and
 * the built coordinator as its own process (in-process bus: no worker, no Docker), streams N uploads of M MiB each
 * concurrently through the real client, and samples the coordinator's /proc/<pid>/status (VmRSS every 50 ms, VmHWM
 * at the end). Uploaded bytes are generated chunk by chunk, so the bench process stays small too.
 *
 * ```sh
 * npm run build
 * tsx bench/upload-rss-bench.ts
 * PANCODE_BENCH_UPLOADS=3 PANCODE_BENCH_UPLOAD_MIB=400 tsx bench/upload-rss-bench.ts
 * ```
 *
 * A measurement, not a test: it exits 0 whatever the figures, non-zero only when it could not measure.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { CHUNK_BYTES, type ClientApi, clientCredentials, createClientApi } from "@pancode/proto";
import { spawnService, stopProcess } from "@pancode/testing/cluster";
import { freshDatabaseUrl, startPostgres } from "@pancode/testing/postgres";

const { UPLOADS, UPLOAD_MIB } = sizes(process.env);
const SAMPLE_MS = 50;

/** How many uploads, of how many MiB each (PANCODE_BENCH_UPLOADS, PANCODE_BENCH_UPLOAD_MIB). */
function sizes(env: NodeJS.ProcessEnv): { UPLOADS: number; UPLOAD_MIB: number } {
  return { UPLOADS: Number(env.PANCODE_BENCH_UPLOADS ?? 3), UPLOAD_MIB: Number(env.PANCODE_BENCH_UPLOAD_MIB ?? 400) };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** VmRSS and VmHWM of a process, in MiB. */
async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
}

/** Chunk `i` of upload `n`: a fixed random block stamped with both numbers, so every chunk and upload differs. */
function chunkOf(block: Buffer, n: number, i: number): Buffer {
  const chunk = Buffer.from(block);
  chunk.writeUInt32BE(n, 0);
  chunk.writeUInt32BE(i, 4);
  return chunk;
}

/** Uploads `UPLOAD_MIB` generated MiB as upload `n`, never holding more than one chunk. */
async function upload(api: ClientApi, block: Buffer, n: number): Promise<void> {
  const hash = createHash("sha256");
  for (let i = 0; i < UPLOAD_MIB; i++) hash.update(chunkOf(block, n, i));
  const digest = `sha256:${hash.digest("hex")}`;
  const ref = await api.uploadBlobFrom("bundle", {
    digest,
    size: UPLOAD_MIB * CHUNK_BYTES,
    async *chunks() {
      for (let i = 0; i < UPLOAD_MIB; i++) yield chunkOf(block, n, i);
    },
  });
  if (ref.digest !== digest) throw new Error(`upload ${n} came back as ${ref.digest}`);
}

async function main(): Promise<void> {
  const pg = await startPostgres();
  const dataDir = await mkdtemp(join(tmpdir(), "pancode-upload-bench-"));
  const token = randomBytes(16).toString("hex");
  const coordinator = await spawnService(
    "coordinator",
    {
      PANCODE_LISTEN: "127.0.0.1:0",
      PANCODE_DATA_DIR: dataDir,
      PANCODE_TOKEN: token,
      PANCODE_WORKER_TOKEN: randomBytes(16).toString("hex"),
      DATABASE_URL: await freshDatabaseUrl(pg.url),
      PANCODE_MAX_WORKSPACE_BYTES: String((UPLOAD_MIB + 1) * CHUNK_BYTES),
      PANCODE_LOG_LEVEL: "info",
    },
    /listening on (\S+)/,
  );
  const pid = coordinator.child.pid as number;
  const api = createClientApi({
    address: coordinator.match[1] as string,
    token,
    credentials: clientCredentials({ tls: false, caPath: "" }),
  });
  try {
    await api.listRuns(1);
    const idle = await memoryOf(pid);
    log(`coordinator pid ${pid} idle: VmRSS ${idle.rss.toFixed(0)} MiB`);
    let peakRss = idle.rss;
    const sampler = setInterval(() => {
      memoryOf(pid).then(
        (m) => (peakRss = Math.max(peakRss, m.rss)),
        () => undefined,
      );
    }, SAMPLE_MS);
    const block = randomBytes(CHUNK_BYTES);
    const started = performance.now();
    await Promise.all(Array.from({ length: UPLOADS }, (_, n) => upload(api, block, n)));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const end = await memoryOf(pid);
    const total = UPLOADS * UPLOAD_MIB;
    process.stdout.write(
      [
        `uploads: ${UPLOADS} x ${UPLOAD_MIB} MiB concurrently (${total} MiB in ${seconds.toFixed(1)} s, ${(total / seconds).toFixed(0)} MiB/s)`,
        `coordinator VmRSS idle ${idle.rss.toFixed(0)} MiB, peak sampled ${peakRss.toFixed(0)} MiB, after ${end.rss.toFixed(0)} MiB`,
        `coordinator VmHWM (peak RSS of the process) ${end.hwm.toFixed(0)} MiB`,
        "",
      ].join("\n"),
    );
  } finally {
    api.close();
    await stopProcess(coordinator.child);
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(`could not measure: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
