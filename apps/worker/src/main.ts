import { runWorkerService } from "./service.js";

// Service entry point of a worker node (the same as `pancode worker`).
runWorkerService(process.env).catch((err: unknown) => {
  console.error(`worker failed to start: ${(err as Error).message}`);
  process.exit(1);
});
