import type { ApiHandler } from "./context.js";
import type { Route } from "./router.js";
import { clusterRoutes } from "./routes/cluster.js";
import { dispatchRoutes } from "./routes/dispatch.js";
import { groupRoutes } from "./routes/groups.js";
import { runRoutes } from "./routes/runs.js";
import { sessionRoutes } from "./routes/session.js";

/** Every endpoint of `/api/v1` (documented in docs/http-api.md). */
export const API_ROUTES: readonly Route<ApiHandler>[] = [
  ...sessionRoutes,
  ...runRoutes,
  ...dispatchRoutes,
  ...groupRoutes,
  ...clusterRoutes,
];
