/**
 * Hosts for multi-host tests: one network namespace per host, made by the test itself (`ip netns`, root only), all
 * wired to a "switch" namespace whose bridge joins them on one /24. Addresses exist only inside these namespaces;
 * nothing is added to the machine's own network (no Docker bridge, no route outside).
 *
 * Why a star through a bridge rather than point-to-point veths: a cluster of ten hosts would need a veth pair (and
 * a /30) for every pair of hosts that talk (two dozen), and cutting one such link is still not a partition of two
 * hosts that also reach each other through a third. With the star each host has one address, every host reaches
 * every other, and `partition(a, b)` cuts exactly the pair: each side gets an `unreachable` route to the other's
 * address, so new connections fail with EHOSTUNREACH and packets of established ones go nowhere (the peer hears
 * nothing), as when a link between two racks dies. `heal` deletes the two routes.
 *
 * ```ts
 * const net = createNetwork(["db", "app"]);
 * try {
 *   const db = net.spawnIn("db", "postgres", [...]);
 *   net.partition("db", "app");
 * } finally {
 *   net.destroy();
 * }
 * ```
 */
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from "node:child_process";

/** A host: its namespace and its address on the switch. */
export interface Host {
  name: string;
  namespace: string;
  address: string;
}

/** The test's hosts and the switch joining them. */
export interface Network {
  hosts: Record<string, Host>;
  /** The host named `name`, or a clear error for a name the network was not made with. */
  host(name: string): Host;
  /** Address of host `name`. */
  addressOf(name: string): string;
  /** Starts `command` inside host `name`'s namespace (`ip netns exec` execs it, so the child's PID is the command's). */
  spawnIn(name: string, command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** `ip netns exec <host> <command...>` synchronously, for one-off commands; returns stdout. */
  execIn(name: string, command: string, args: readonly string[]): string;
  /** Cuts hosts `a` and `b` off from each other (both directions); every other pair keeps talking. */
  partition(a: string, b: string): void;
  /** Undoes {@link partition} of `a` and `b`. */
  heal(a: string, b: string): void;
  /** Deletes every namespace (and with them the veths, the bridge and the routes). Safe to call twice. */
  destroy(): void;
}

/** True when this process can make namespaces: root with `ip` on the PATH. */
export function canMakeNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync("ip", ["-V"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

function ip(...args: string[]): string {
  return execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
}

/**
 * Makes one namespace per host name plus the switch, hosts numbered from `<subnet>.2` in the order given. The
 * namespace names carry this process's PID, so concurrent test files cannot collide. Torn down on `destroy()`, and
 * at the latest when the process exits.
 */
export function createNetwork(names: readonly string[], options: { subnet?: string } = {}): Network {
  const subnet = options.subnet ?? "10.78.0";
  const tag = `pc${process.pid % 100000}`;
  const switchNs = `${tag}sw`;
  const made: string[] = [];
  const destroy = (): void => {
    process.removeListener("exit", destroy);
    for (const namespace of made.splice(0).reverse()) {
      try {
        ip("netns", "del", namespace);
      } catch {
        // Already gone: nothing to remove.
      }
    }
  };
  process.once("exit", destroy);
  const hosts: Record<string, Host> = {};
  try {
    addNamespace(switchNs, made);
    ip("-n", switchNs, "link", "add", "br0", "type", "bridge");
    ip("-n", switchNs, "link", "set", "br0", "up");
    names.forEach((name, i) => {
      const host = { name, namespace: `${tag}-${name}`.slice(0, 30), address: `${subnet}.${i + 2}` };
      addNamespace(host.namespace, made);
      plugIn(host, switchNs, `p${i}`);
      hosts[name] = host;
    });
  } catch (err) {
    destroy();
    throw err;
  }
  const host = (name: string): Host => {
    const found = hosts[name];
    if (!found) throw new Error(`no host "${name}" in this network (hosts: ${Object.keys(hosts).join(", ")})`);
    return found;
  };
  const routeTo = (op: "add" | "del", from: string, to: string): void => {
    ip("-n", host(from).namespace, "route", op, "unreachable", `${host(to).address}/32`);
  };
  return {
    hosts,
    host,
    addressOf: (name) => host(name).address,
    spawnIn: (name, command, args, spawnOptions = {}) =>
      spawn("ip", ["netns", "exec", host(name).namespace, command, ...args], spawnOptions),
    execIn: (name, command, args) => ip("netns", "exec", host(name).namespace, command, ...args),
    partition: (a, b) => {
      routeTo("add", a, b);
      routeTo("add", b, a);
    },
    heal: (a, b) => {
      routeTo("del", a, b);
      routeTo("del", b, a);
    },
    destroy,
  };
}

function addNamespace(namespace: string, made: string[]): void {
  ip("netns", "add", namespace);
  made.push(namespace);
  ip("-n", namespace, "link", "set", "lo", "up");
}

/** A veth pair from the host (`eth0`, its address) to a port of the switch's bridge. */
function plugIn(host: Host, switchNs: string, port: string): void {
  ip("link", "add", "eth0", "netns", host.namespace, "type", "veth", "peer", "name", port, "netns", switchNs);
  ip("-n", switchNs, "link", "set", port, "master", "br0");
  ip("-n", switchNs, "link", "set", port, "up");
  ip("-n", host.namespace, "addr", "add", `${host.address}/24`, "dev", "eth0");
  ip("-n", host.namespace, "link", "set", "eth0", "up");
}
