/**
 * @pancode/worker: a worker node. @pancode/server runs it as a service (`pancode-server worker`) or embeds workers
 * next to the coordinator on one machine (`pancode-server up`).
 *
 * ```ts
 * const worker = await startWorker({ config: loadWorkerConfig(process.env), logger, env: process.env });
 * await worker.stop(30_000);
 * ```
 */
export { loadWorkerConfig, WorkerConfig } from "./config.js";
export { runWorkerService } from "./service.js";
export { type StartWorkerOptions, startWorker, WORKER_VERSION, type Worker } from "./worker.js";
export { claimWorkerId } from "./worker-id.js";
