/** Labels PanCode writes on every container it creates; reaping and debugging (`docker ps --filter`) rely on them. */
export const LABELS = {
  managed: "pancode.managed",
  runId: "pancode.run-id",
  workerId: "pancode.worker-id",
  ownerHost: "pancode.owner-host",
  ownerPid: "pancode.owner-pid",
  ownerStart: "pancode.owner-start",
} as const;

/** The process that owns a container: if it dies, the container is an orphan. */
export interface ContainerOwner {
  workerId: string;
  host: string;
  pid: number;
  /**
   * Start time of the owner process (see `processStartTime`), so a later process reusing the pid is not mistaken
   * for the owner. `createDockerRuntime` fills it in for its own process when omitted.
   */
  start?: string;
}

/** Labels for one run's container: caller labels first, so they can never overwrite ours. */
export function containerLabels(
  owner: ContainerOwner,
  runId: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...extra,
    [LABELS.managed]: "true",
    [LABELS.runId]: runId,
    [LABELS.workerId]: owner.workerId,
    [LABELS.ownerHost]: owner.host,
    [LABELS.ownerPid]: String(owner.pid),
    [LABELS.ownerStart]: owner.start ?? "",
  };
}
