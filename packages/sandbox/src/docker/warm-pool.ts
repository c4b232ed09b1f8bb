import { randomBytes } from "node:crypto";
import type { LoggerPort } from "@pancode/core";
import type Docker from "dockerode";
import type { SandboxRunSpec } from "../container-runtime.js";
import { parseNumericUser } from "../workspace-owner.js";
import { buildContainerOptions } from "./container-options.js";
import { dockerStatus } from "./docker-errors.js";
import type { ContainerOwner } from "./labels.js";
import { createSlot, removeSlot, WARM_CONTROL_DIR, type WarmSlot, warmWaitArgv } from "./warm-slot.js";

/** Label of a warm container: which pool profile it was created for (and that it is not a run's yet). */
export const WARM_LABEL = "pancode.warm";

/** A started container waiting for a run, with the host directories it mounts. */
export interface WarmContainer {
  container: Docker.Container;
  name: string;
  slot: WarmSlot;
}

/** What the pool needs of the runtime's context (the run context extends it, so the two never import each other). */
export interface WarmPoolContext {
  docker: Docker;
  owner: ContainerOwner;
  user: string;
  /** Whether the worker runs as root, and so must (and can) chown writable worktrees to `user`. */
  workerIsRoot: boolean;
  logger: LoggerPort;
}

/**
 * What a container is created with before its run is known: everything of the spec but the command, its
 * environment, the run's labels and the contents of the run's own directories (worktree, per-run mounts); the
 * prelude it runs while waiting included.
 */
function profileKey(ctx: Pick<WarmPoolContext, "user">, spec: SandboxRunSpec): string {
  return JSON.stringify({
    image: spec.image,
    user: ctx.user,
    limits: spec.limits,
    homeTmpfsMb: spec.homeTmpfsMb ?? null,
    network: spec.network,
    readonly: spec.readonly,
    mounts: (spec.readonlyMounts ?? []).map((m) =>
      m.perRun ? ["run", m.containerPath] : [m.hostPath, m.containerPath],
    ),
    prelude: spec.warmPrelude ?? "",
  });
}

/**
 * A small pool of started containers, per worker, for the profile of the latest run: a run of that profile takes
 * one instead of paying container creation and start. A taken container belongs to its run (which removes it);
 * it is never given to another run. The pool refills in the background, one container at a time, and only ever
 * for the latest profile (warm containers of an older one are removed). `close` removes every container left.
 */
export class WarmPool {
  private target: SandboxRunSpec | undefined;
  private targetKey = "";
  private readonly ready: WarmContainer[] = [];
  private readyKey = "";
  private filling: Promise<void> | undefined;
  /** Removals of used containers still under way. */
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;
  private readonly owner: { uid: number; gid: number } | undefined;

  constructor(
    private readonly ctx: WarmPoolContext,
    private readonly options: { size: number; dir: string },
  ) {
    this.owner = ctx.workerIsRoot ? parseNumericUser(ctx.user) : undefined;
  }

  /** A warm container for `spec`'s profile, or undefined (then the run creates its own); refills either way. */
  take(spec: SandboxRunSpec): WarmContainer | undefined {
    if (this.closed || this.options.size <= 0) return undefined;
    const key = profileKey(this.ctx, spec);
    if (key !== this.targetKey) {
      this.target = spec;
      this.targetKey = key;
    }
    return this.readyKey === key ? this.ready.shift() : undefined;
  }

  /**
   * Tops the pool up in the background. Called when a run ended rather than when it took its container: creating
   * and starting one costs CPU the run's own start would be competing for.
   */
  replenish(): void {
    if (this.closed || this.options.size <= 0 || !this.target) return;
    this.refill();
  }

  /** Warm containers waiting now (for tests and logs). */
  size(): number {
    return this.ready.length;
  }

  /** Resolves once the pool holds its full size for the latest profile (or stopped trying). */
  async settled(): Promise<void> {
    while (this.filling) await this.filling;
  }

  /**
   * Removes every waiting container (the refill after the run replaces them): called when one turned out dead, as
   * its siblings likely are too (an engine restart, a host under memory pressure).
   */
  flush(): void {
    for (const warm of this.ready.splice(0)) this.retire(warm, () => this.discardContainer(warm));
  }

  /**
   * Removes a used container (with `remove`) and its slot in the background; it never returns to the pool.
   */
  retire(warm: WarmContainer, remove: () => Promise<void>): void {
    const done = remove()
      .then(() => removeSlot(warm.slot))
      .catch((err: unknown) => this.ctx.logger.warn("used warm container cleanup failed", { err: String(err) }))
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  /** Stops refilling and removes every warm container and slot, used ones included; runs in progress go on. */
  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    await Promise.all([...this.ready.splice(0).map((w) => this.discard(w)), ...this.retiring]);
  }

  private refill(): void {
    if (this.filling || this.closed) return;
    this.filling = this.fill().finally(() => {
      this.filling = undefined;
    });
  }

  private async fill(): Promise<void> {
    while (!this.closed && this.target) {
      const key = this.targetKey;
      if (this.readyKey !== key) {
        await Promise.all(this.ready.splice(0).map((w) => this.discard(w)));
        this.readyKey = key;
      }
      if (this.ready.length >= this.options.size) return;
      const warm = await this.create(this.target).catch((err: unknown) => {
        this.ctx.logger.warn("warm container could not be created; runs create their own", { err: String(err) });
        return undefined;
      });
      if (!warm) return;
      if (this.closed || this.targetKey !== key) await this.discard(warm);
      else this.ready.push(warm);
    }
  }

  private async create(spec: SandboxRunSpec): Promise<WarmContainer> {
    const runMounts = (spec.readonlyMounts ?? []).filter((m) => m.perRun);
    const slot = await createSlot(this.options.dir, runMounts.length, this.owner);
    const name = `pancode-warm-${randomBytes(4).toString("hex")}`;
    let created: Docker.Container | undefined;
    try {
      let i = 0;
      const mounts = (spec.readonlyMounts ?? []).map((m) =>
        m.perRun ? { hostPath: slot.runMounts[i++] as string, containerPath: m.containerPath } : m,
      );
      const options = buildContainerOptions({
        spec: {
          ...spec,
          runId: "",
          argv: warmWaitArgv(spec.warmPrelude),
          env: {},
          workspacePath: slot.workspace,
          readonlyMounts: [...mounts, { hostPath: slot.control, containerPath: WARM_CONTROL_DIR }],
          labels: { [WARM_LABEL]: "true" },
        },
        owner: this.ctx.owner,
        user: this.ctx.user,
        name,
      });
      created = await this.ctx.docker.createContainer(options);
      await created.start();
      return { container: created, name, slot };
    } catch (err) {
      await created?.remove({ force: true, v: true }).catch(() => {});
      await removeSlot(slot);
      throw err;
    }
  }

  private async discard(warm: WarmContainer): Promise<void> {
    await this.discardContainer(warm);
    await removeSlot(warm.slot);
  }

  private async discardContainer(warm: WarmContainer): Promise<void> {
    try {
      await warm.container.remove({ force: true, v: true });
    } catch (err) {
      if (dockerStatus(err) !== 404) this.ctx.logger.warn("warm container removal failed", { container: warm.name });
    }
  }
}
