/**
 * @pancode/coordinator: admission, routing and the run ledger behind the gRPC API. @pancode/server runs it as a service
 * (`pancode-server coordinator`) or embeds it next to in-process workers (`pancode-server up`).
 *
 * ```ts
 * const coordinator = await startCoordinator({ config: loadCoordinatorConfig(process.env), logger });
 * await coordinator.drain();
 * await coordinator.close();
 * ```
 */
export { CoordinatorConfig, loadCoordinatorConfig } from "./config.js";
export {
  COORDINATOR_VERSION,
  type Coordinator,
  type StartCoordinatorOptions,
  startCoordinator,
} from "./coordinator.js";
export { runCoordinatorService } from "./service.js";
export { CLIENT_TOKEN_FILE, WORKER_TOKEN_FILE } from "./tokens.js";
