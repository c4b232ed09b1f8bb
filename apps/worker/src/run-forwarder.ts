import { randomUUID } from "node:crypto";
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where the forwarder's directory is mounted in agent containers (read-only). */
export const CONTAINER_FORWARDER_DIR = "/opt/pancode-net";

const FORWARDER_FILE = "forward.mjs";

/**
 * The forwarder that runs inside an agent container before the agent: plain Node, no dependencies (the agent image
 * has node), so it ships as a file the worker installs, not as an image change. It listens on the container's own
 * loopback (which exists under network `none`) and relays each connection to a Unix socket of the run's directory:
 * `node forward.mjs <socket dir> <ready file> <port>=<socket name>...`. The ready file appears once every port
 * listens. It never writes to stdout, which is the agent's JSON stream.
 */
const FORWARDER_SOURCE = `import { connect, createServer } from "node:net";
import { writeFileSync } from "node:fs";
const [dir, ready, ...pairs] = process.argv.slice(2);
let waiting = pairs.length;
for (const pair of pairs) {
  const [port, name] = pair.split("=");
  const server = createServer((client) => {
    const upstream = connect(dir + "/" + name);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); };
    client.on("error", drop);
    upstream.on("error", drop);
  });
  server.on("error", (err) => { process.stderr.write("pancode forwarder: " + err.message + "\\n"); process.exit(1); });
  server.listen(Number(port), "127.0.0.1", () => { if (--waiting === 0) writeFileSync(ready, ""); });
}
`;

/**
 * Writes the forwarder into `<dataDir>/net-forwarder` and returns that directory. Agent containers mount it from the
 * host, so it lives in the data dir (same-path rule, deploy/README.md). Written under a temporary name and renamed,
 * so a run starting meanwhile never sees half a file.
 */
export async function installForwarder(dataDir: string): Promise<string> {
  const target = join(dataDir, "net-forwarder");
  await mkdir(target, { recursive: true, mode: 0o755 });
  await chmod(target, 0o755);
  const temp = join(target, `.${FORWARDER_FILE}.${randomUUID()}`);
  await writeFile(temp, FORWARDER_SOURCE, { mode: 0o644 });
  await rename(temp, join(target, FORWARDER_FILE));
  return target;
}

/**
 * The variable naming the ready marker of a forwarder already started by a warm container's prelude: set (and
 * exported into the run) by {@link forwarderPrelude}, so the wrapper only waits for that one instead of starting
 * its own.
 */
const STARTED_ENV = "PANCODE_NET_READY";

function forwarderCommand(socketDir: string, ports: Record<string, number>): string {
  const pairs = Object.entries(ports)
    .map(([socket, port]) => `${port}=${socket}`)
    .join(" ");
  return `node ${CONTAINER_FORWARDER_DIR}/${FORWARDER_FILE} ${socketDir} "$${STARTED_ENV}" ${pairs} >/dev/null &`;
}

/**
 * Shell that starts the forwarder in the background (unless a warm container's prelude already did), waits (up to
 * ten seconds) until it listens, then execs the agent's own command line ("$@"). The ready marker is in the
 * container's tmpfs HOME.
 */
export function forwarderWrapper(socketDir: string, ports: Record<string, number>): string[] {
  // An image without node (a plain command agent's own image) runs its command as it is, without the sockets.
  const script = [
    "if command -v node >/dev/null 2>&1; then",
    `if [ -z "\${${STARTED_ENV}:-}" ]; then ${STARTED_ENV}="$HOME/.pancode-net-ready"; ${forwarderCommand(socketDir, ports)} fi`,
    "i=0",
    `while [ ! -e "$${STARTED_ENV}" ]; do i=$((i+1)); if [ $i -gt 200 ]; then echo "pancode: the run's network forwarder did not start" >&2; exit 70; fi; sleep 0.05; done`,
    "fi",
    'exec "$@"',
  ].join("\n");
  return ["sh", "-c", script, "pancode-net"];
}

/**
 * Shell for a warm container's prelude (`SandboxRunSpec.warmPrelude`): starts the forwarder while the container
 * waits for its run, so the agent's model calls need not wait for a second Node process to start (about 0.1 s on
 * an idle machine, several times that on a busy one, and competing with the agent's own start for the CPU). It
 * cannot know the run, so it listens on every port a run may use; the sockets behind them appear in the run's
 * socket directory when the run is released, and a port whose socket the run does not have drops its connections.
 */
export function forwarderPrelude(socketDir: string, ports: Record<string, number>): string {
  return [
    "if command -v node >/dev/null 2>&1; then",
    `${STARTED_ENV}="$HOME/.pancode-net-ready"; export ${STARTED_ENV}`,
    forwarderCommand(socketDir, ports),
    "fi",
  ].join("\n");
}
