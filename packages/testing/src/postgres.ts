import { execFile, spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { appendFile, chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { PanCodeError } from "@pancode/core";
import { findOnPath } from "./find-on-path.js";

const execFileAsync = promisify(execFile);

/** A Postgres server for tests. */
export interface PostgresServer {
  /** Superuser URL of the server's `postgres` database, e.g. postgres://postgres@127.0.0.1:54321/postgres. */
  url: string;
  /**
   * The same database through the server's unix socket (postgresql:///postgres?host=<dir>&port=<port>&user=postgres):
   * reachable from any network namespace of the machine, so a test can read a server it started inside one.
   * Equals `url` for a reused server.
   */
  socketUrl: string;
  /** Stops the server and deletes its data (no-op for a server reused via PANCODE_TEST_DATABASE_URL). */
  stop(): Promise<void>;
  /**
   * Stops the server but keeps its data (`pg_ctl stop -m fast`: open connections are cut), as an outage would.
   * Fault tests only; throws for a reused server, which this process does not own.
   */
  halt(): Promise<void>;
  /** Starts a halted server again on the same port with the same data. */
  restart(): Promise<void>;
}

/** Where {@link startPostgres} puts the server. */
export interface PostgresOptions {
  /** Network namespace to run the server in (`ip netns`, see netns.ts). @default the test's own */
  netns?: string;
  /** The one TCP address it listens on (an address of `netns`). @default 127.0.0.1 */
  listen?: string;
}

/**
 * Starts a private Postgres for a test run: `initdb` in a temp dir, `pg_ctl start` on a free 127.0.0.1 port with
 * its unix socket in that dir, durability switched off for speed. When PANCODE_TEST_DATABASE_URL is set, that
 * server is reused instead. Postgres refuses to run as root, so as root the binaries run as user `postgres`.
 * Throws UNAVAILABLE, naming what is missing, when the binaries or the user are not there.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const reuse = process.env.PANCODE_TEST_DATABASE_URL;
  if (reuse) {
    const notOwned = async () => {
      throw new PanCodeError("UNAVAILABLE", "PANCODE_TEST_DATABASE_URL is a reused server: it cannot be halted here");
    };
    return { url: reuse, socketUrl: reuse, stop: async () => {}, halt: notOwned, restart: notOwned };
  }

  const bin = findPostgresBin();
  const dir = await mkdtemp(join(tmpdir(), "pancode-pg-"));
  const dataDir = join(dir, "data");
  const asUser = process.getuid?.() === 0 ? await postgresUser(dir) : undefined;
  const run = (cmd: string, args: string[]) => runAs(asUser, join(bin, cmd), args, options.netns);
  const listen = options.listen ?? "127.0.0.1";
  try {
    await run("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
    // initdb trusts loopback only; a server on a test host's address trusts the hosts of its own subnet too.
    if (options.listen) await appendFile(join(dataDir, "pg_hba.conf"), "host all all samenet trust\n");
    const port = await startOnFreePort(run, dataDir, dir, listen);
    const startOptions = serverOptions(port, dir, listen);
    const stopSync = () => {
      spawnAsSync(asUser, join(bin, "pg_ctl"), ["stop", "-D", dataDir, "-m", "immediate"]);
    };
    // A test process that dies without calling stop() must not leave a server behind.
    process.once("exit", stopSync);
    let stopped: Promise<void> | undefined;
    return {
      url: `postgres://postgres@${listen}:${port}/postgres`,
      socketUrl: `postgresql:///postgres?host=${encodeURIComponent(dir)}&port=${port}&user=postgres`,
      stop: () => {
        stopped ??= (async () => {
          process.removeListener("exit", stopSync);
          await run("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w"]);
          await rm(dir, { recursive: true, force: true });
        })();
        return stopped;
      },
      halt: async () => {
        await run("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w"]);
      },
      restart: async () => {
        await run("pg_ctl", [
          "start",
          "-D",
          dataDir,
          "-w",
          "-t",
          "60",
          "-l",
          join(dir, "postgres.log"),
          "-o",
          startOptions,
        ]);
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Creates a uniquely named database on the server at `baseUrl` (optionally a copy of `template`) and returns its
 * URL, so each test works on an empty database of its own. Uses `psql`.
 */
export async function freshDatabaseUrl(baseUrl: string, options: { template?: string } = {}): Promise<string> {
  const name = `pancode_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const template = options.template ? ` TEMPLATE "${options.template.replace(/"/g, '""')}"` : "";
  const psql = findPsql();
  try {
    await execFileAsync(psql, [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-d",
      baseUrl,
      "-c",
      `CREATE DATABASE "${name}"${template}`,
    ]);
  } catch (err) {
    const detail = ((err as { stderr?: string }).stderr ?? "").trim() || (err as Error).message;
    throw new PanCodeError("UNAVAILABLE", `cannot create test database ${name}: ${detail}`, { cause: err });
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Runs one query with `psql` and returns its rows as arrays of column text (tab-separated, unaligned output). For
 * tests that read what the coordinator wrote; throws UNAVAILABLE when the server does not answer.
 */
export async function queryRows(url: string, query: string): Promise<string[][]> {
  try {
    const { stdout } = await execFileAsync(findPsql(), ["-X", "-q", "-A", "-t", "-F", "\t", "-d", url, "-c", query], {
      timeout: 10_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.split("\t"));
  } catch (err) {
    const detail = ((err as { stderr?: string }).stderr ?? "").trim() || (err as Error).message;
    throw new PanCodeError("UNAVAILABLE", `query failed: ${detail}`, { cause: err });
  }
}

// Each try picks a port that was free a moment ago; another process may take it in between, so retry.
async function startOnFreePort(
  run: (cmd: string, args: string[]) => Promise<string>,
  dataDir: string,
  dir: string,
  listen: string,
) {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      await run("pg_ctl", [
        "start",
        "-D",
        dataDir,
        "-w",
        "-t",
        "60",
        "-l",
        join(dir, "postgres.log"),
        "-o",
        serverOptions(port, dir, listen),
      ]);
      return port;
    } catch (err) {
      lastError = err;
    }
  }
  throw new PanCodeError("UNAVAILABLE", `postgres did not start; see ${join(dir, "postgres.log")}`, {
    cause: lastError,
  });
}

/** `postgres` options: the port, the socket dir, one listen address (loopback unless told), durability off for speed. */
function serverOptions(port: number, dir: string, listen: string): string {
  return `-p ${port} -k ${dir} -c listen_addresses=${listen} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** As root: hands `dir` to the `postgres` user and returns its name; throws when that user does not exist. */
async function postgresUser(dir: string): Promise<string> {
  const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (id.status !== 0 || gid.status !== 0) {
    throw new PanCodeError("UNAVAILABLE", "running as root but there is no 'postgres' user to run Postgres as");
  }
  await chown(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  return "postgres";
}

async function runAs(user: string | undefined, cmd: string, args: string[], netns?: string): Promise<string> {
  const [asFile, asArgv] = user ? ["runuser", ["-u", user, "--", cmd, ...args]] : [cmd, args];
  // The server inherits the namespace of the pg_ctl that starts it.
  const [file, argv] = netns ? ["ip", ["netns", "exec", netns, asFile, ...asArgv]] : [asFile, asArgv];
  try {
    const { stdout } = await execFileAsync(file, argv, { timeout: 120_000 });
    return stdout;
  } catch (err) {
    // stderr says why Postgres failed; without any (e.g. runuser missing) the spawn error does.
    const detail = ((err as { stderr?: string }).stderr ?? "").trim() || (err as Error).message;
    throw new PanCodeError("UNAVAILABLE", `${cmd} ${args[0] ?? ""} failed: ${detail}`, { cause: err });
  }
}

function spawnAsSync(user: string | undefined, cmd: string, args: string[]): void {
  const [file, argv] = user ? ["runuser", ["-u", user, "--", cmd, ...args]] : [cmd, args];
  spawnSync(file, argv, { stdio: "ignore", timeout: 10_000 });
}

/** The bin dir holding initdb, pg_ctl and postgres (PATH first, then Debian's /usr/lib/postgresql/<v>/bin). */
function findPostgresBin(): string {
  const initdb = findOnPath("initdb") ?? findOnPath("initdb", debianBinDirs());
  if (!initdb) {
    throw new PanCodeError(
      "UNAVAILABLE",
      "Postgres binaries not found (initdb, pg_ctl, postgres on PATH): install postgresql or set PANCODE_TEST_DATABASE_URL",
    );
  }
  // /usr/local/bin/initdb may be a symlink into the real bin dir, where pg_ctl and postgres live too.
  const bin = dirname(realpathSync(initdb));
  for (const tool of ["pg_ctl", "postgres"]) {
    if (!findOnPath(tool, [bin])) throw new PanCodeError("UNAVAILABLE", `Postgres binary ${tool} not found in ${bin}`);
  }
  return bin;
}

function findPsql(): string {
  const initdb = findOnPath("initdb");
  const nextToServer = initdb ? findOnPath("psql", [dirname(realpathSync(initdb))]) : undefined;
  const psql = nextToServer ?? findOnPath("psql") ?? findOnPath("psql", debianBinDirs());
  if (!psql) throw new PanCodeError("UNAVAILABLE", "psql not found on PATH: install the postgresql client");
  return psql;
}

function debianBinDirs(): string[] {
  return ["17", "16", "15", "14", "13"].map((v) => `/usr/lib/postgresql/${v}/bin`);
}
