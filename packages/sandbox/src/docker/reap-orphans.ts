import type { LoggerPort } from "@pancode/core";
import type Docker from "dockerode";
import { isOwnerAlive } from "../process-identity.js";
import { dockerStatus, wrapDockerError } from "./docker-errors.js";
import { LABELS } from "./labels.js";

/** Inputs of {@link reapOrphanContainers}. */
export interface ReapOptions {
  docker: Docker;
  socketPath: string;
  /** Only containers whose `pancode.owner-host` equals this are considered: other hosts' pids mean nothing here. */
  host: string;
  logger: LoggerPort;
}

/**
 * Removes PanCode containers whose owning process on this host is gone (a worker that crashed or was killed
 * mid-run). Returns how many were removed. A container another process removes concurrently is not an error.
 */
export async function reapOrphanContainers({ docker, socketPath, host, logger }: ReapOptions): Promise<number> {
  const listed = await docker
    .listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.ownerHost}=${host}`] } })
    .catch((err: unknown) => {
      throw wrapDockerError(err, "list pancode containers", socketPath);
    });
  let removed = 0;
  for (const info of listed) {
    const pid = Number(info.Labels[LABELS.ownerPid]);
    const runId = info.Labels[LABELS.runId];
    if (!Number.isInteger(pid) || pid <= 0) {
      logger.warn("container has no valid owner pid, left alone", { containerId: info.Id, runId });
      continue;
    }
    if (isOwnerAlive({ pid, start: info.Labels[LABELS.ownerStart] ?? "" })) continue;
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
      removed += 1;
      logger.info("reaped orphan container", { containerId: info.Id, runId, ownerPid: pid });
    } catch (err) {
      // 404: already gone (another reaper or the owner's own cleanup won the race); 409: removal in progress.
      const status = dockerStatus(err);
      if (status === 404 || status === 409) continue;
      throw wrapDockerError(err, `remove orphan container ${info.Id}`, socketPath);
    }
  }
  logger.info("orphan reaping done", { host, candidates: listed.length, removed });
  return removed;
}
