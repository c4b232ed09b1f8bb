import { runCoordinatorService } from "./service.js";

// Service entry point of the coordinator (the same as `pancode coordinator`).
runCoordinatorService(process.env).catch((err: unknown) => {
  console.error(`coordinator failed to start: ${(err as Error).message}`);
  process.exit(1);
});
