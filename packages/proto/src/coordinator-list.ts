import { lookup } from "node:dns/promises";
import { experimental, Metadata, status } from "@grpc/grpc-js";

/** gRPC name-resolver scheme of a coordinator list ("a:7400,b:7400"). */
const LIST_SCHEME = "pancode-list";

type GrpcUri = experimental.GrpcUri;
type ResolverListener = experimental.ResolverListener;

/**
 * Resolves a comma-separated list of coordinators to one endpoint per entry, in the order given. gRPC's default
 * pick_first policy then connects to the first that answers and, when that connection breaks, tries the list again
 * from the top: a client of `dead,alive` works, and one whose replica dies moves to the next.
 */
class CoordinatorListResolver implements experimental.Resolver {
  private readonly entries: { host: string; port: number }[];
  private resolving = false;

  constructor(
    target: GrpcUri,
    private readonly listener: ResolverListener,
  ) {
    this.entries = parseList(target.path);
  }

  updateResolution(): void {
    if (this.resolving) return;
    this.resolving = true;
    void this.resolve().finally(() => {
      this.resolving = false;
    });
  }

  destroy(): void {}

  static getDefaultAuthority(target: GrpcUri): string {
    // TLS checks every replica's certificate against the first name (one certificate naming it serves them all).
    return target.path.split(",")[0]?.trim() ?? "";
  }

  private async resolve(): Promise<void> {
    const endpoints: experimental.Endpoint[] = [];
    for (const entry of this.entries) {
      // A name that does not resolve now is left out of this round; the others still serve.
      const found = await lookup(entry.host, { all: true }).catch(() => []);
      if (found.length > 0) endpoints.push({ addresses: found.map((a) => ({ host: a.address, port: entry.port })) });
    }
    if (endpoints.length > 0) {
      this.listener(experimental.statusOrFromValue(endpoints), {}, null, "");
      return;
    }
    const details = `none of the coordinators ${this.entries.map((e) => `${e.host}:${e.port}`).join(", ")} resolves`;
    this.listener(
      experimental.statusOrFromError({ code: status.UNAVAILABLE, details, metadata: new Metadata() }),
      {},
      null,
      "",
    );
  }
}

function parseList(path: string): { host: string; port: number }[] {
  return path
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const parsed = experimental.splitHostPort(entry);
      return { host: parsed?.host ?? entry, port: parsed?.port ?? 7400 };
    });
}

let registered = false;

/**
 * The gRPC target of PANCODE_COORDINATOR: one address as it is, a comma-separated list through
 * {@link CoordinatorListResolver} (clients and workers fail over along it).
 */
export function coordinatorTarget(address: string): string {
  const list = address
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (list.length <= 1) return address.trim();
  if (!registered) {
    experimental.registerResolver(LIST_SCHEME, CoordinatorListResolver);
    registered = true;
  }
  return `${LIST_SCHEME}:///${list.join(",")}`;
}
