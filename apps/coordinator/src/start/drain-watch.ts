import type { ClusterDrain, DrainState } from "../services/cluster-drain.js";

/** Where the drain state shows outside the database: the gRPC health status. */
export interface DrainSignal {
  draining(on?: boolean): void;
}

/** How often a replica looks at the cluster-wide drain flag, so its health status follows a drain asked elsewhere. */
const DRAIN_POLL_MS = 2000;

/**
 * This replica's last view of the cluster-wide drain, for the gRPC health status and ClusterInfo (admission and
 * /readyz ask the database each time).
 */
export class DrainWatch {
  private current = false;

  constructor(
    private readonly clusterDrain: ClusterDrain,
    private readonly signal: DrainSignal,
  ) {}

  /** The state last seen. */
  get draining(): boolean {
    return this.current;
  }

  /** True while the cluster is drained or this replica shuts down (asks the database). */
  isDraining(): Promise<boolean> {
    return this.clusterDrain.isDraining();
  }

  /** Reads the flag and updates the health status when it changed. */
  async sync(): Promise<void> {
    const now = await this.clusterDrain.isDraining();
    if (now !== this.current) this.signal.draining(now);
    this.current = now;
  }

  /** Drains the cluster (`pancode drain`). */
  async drain(actor: string): Promise<DrainState> {
    const state = await this.clusterDrain.drain(actor);
    await this.sync();
    return state;
  }

  /** Ends the cluster-wide drain (`pancode undrain`). */
  async undrain(actor: string): Promise<DrainState> {
    const state = await this.clusterDrain.undrain(actor);
    await this.sync();
    return state;
  }

  /** This replica shuts down: it stops admitting and reports NOT_SERVING, whatever the cluster flag says. */
  stopLocally(): void {
    this.clusterDrain.stopLocally();
    this.current = true;
    this.signal.draining();
  }

  /** Polls the flag until the returned function is called. */
  watch(): () => void {
    const timer = setInterval(() => void this.sync().catch(() => undefined), DRAIN_POLL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
}
