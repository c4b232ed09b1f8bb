// The house's dependency rules, checked by `npm run check:deps` (in `npm run check` and CI).
// Why each exists: see README "Code layout". Workspace imports resolve to source through tsconfig.check.json.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "An import cycle makes load order matter and layers meaningless; break it by moving the shared part down.",
      from: {},
      to: { circular: true },
    },
    {
      name: "apps-never-import-apps",
      severity: "error",
      comment: "Apps talk over gRPC, NATS or a process boundary; shared code belongs in a package.",
      from: { path: "^apps/([^/]+)/", pathNot: "^apps/server/" },
      to: { path: "^apps/([^/]+)/", pathNot: "^apps/$1/" },
    },
    {
      name: "service-host-imports-only-entry-points",
      severity: "error",
      comment:
        "The service host (apps/server) exists to start the coordinator and the worker: their entry points only.",
      from: { path: "^apps/server/" },
      to: { path: "^apps/", pathNot: ["^apps/server/", "^apps/(coordinator|worker)/src/index\\.ts$"] },
    },
    {
      name: "coordinator-grpc-calls-services",
      severity: "error",
      comment:
        "The coordinator's gRPC layer maps the wire to services and back; the services own the stores (role ports).",
      from: { path: "^apps/coordinator/src/grpc/" },
      to: { path: "^packages/db/" },
    },
    {
      name: "packages-never-import-apps",
      severity: "error",
      comment: "Packages are the lower layer; an app depends on them, never the reverse.",
      from: { path: "^packages/" },
      to: { path: "^apps/" },
    },
    {
      name: "no-deep-workspace-imports",
      severity: "error",
      comment: "Another workspace is used through its package entry points (@pancode/x, or a declared subpath export).",
      from: { path: "^(apps|packages)/([^/]+)/" },
      to: {
        path: "^(apps|packages)/([^/]+)/src/",
        // Entry points and declared subpath exports: @pancode/x, @pancode/core/{errors,digest}, @pancode/testing/*.
        pathNot: [
          "^$1/$2/",
          "^(apps|packages)/[^/]+/src/index\\.ts$",
          "^packages/core/src/(errors|digest)\\.ts$",
          "^packages/testing/src/",
        ],
      },
    },
    // The CLI's layers (apps/cli/src): client/ holds the use cases; commands/ (the pancode verbs) and mcp/ (the MCP
    // server's tools) are two front ends over it, so a change to one front end never reaches the other.
    {
      name: "cli-client-never-imports-front-ends",
      severity: "error",
      comment: "client/ is what both front ends share; it knows neither commands/ nor mcp/.",
      from: { path: "^apps/cli/src/client/" },
      to: { path: "^apps/cli/src/(commands|mcp)/" },
    },
    {
      name: "cli-front-ends-never-import-each-other",
      severity: "error",
      comment: "Something both commands/ and mcp/ need is a use case: move it into client/.",
      from: { path: "^apps/cli/src/(commands|mcp)/" },
      to: { path: "^apps/cli/src/(commands|mcp)/", pathNot: "^apps/cli/src/$1/" },
    },
    {
      name: "cli-front-ends-import-client-and-output-only",
      severity: "error",
      comment:
        "A front end is thin: it parses input, calls client/ and prints. The files beside main.ts it may use are the " +
        "output helpers and the JSON views (output.ts, terminal-text.ts, orchestration-json.ts, receipt-keys.ts).",
      from: { path: "^apps/cli/src/(commands|mcp)/" },
      to: {
        path: "^apps/cli/src/",
        pathNot: [
          "^apps/cli/src/(client|$1)/",
          "^apps/cli/src/(output|terminal-text|orchestration-json|receipt-keys)\\.ts$",
        ],
      },
    },
    // Each external system has one owning package (README "Code layout"); tests may reach past it to attack it.
    ...[
      ["dockerode", "^packages/sandbox/"],
      ["@nats-io/[^/]+", "^packages/bus/"],
      ["(drizzle-orm|pg|@electric-sql/pglite)", "^packages/db/"],
      ["simple-git", "^packages/git/"],
      ["@opentelemetry/(sdk-[^/]+|exporter-[^/]+|resources)", "^packages/telemetry/"],
      ["@grpc/grpc-js", "^(packages/proto/|apps/[^/]+/src/grpc/)"],
    ].map(([library, owner]) => ({
      name: `only-owner-imports-${library.replace(/[^a-z0-9-]+/g, "-").replace(/^-|-$/g, "")}`,
      severity: "error",
      comment: `${library} is used only in ${owner} (one owning package per external system); go through its port.`,
      from: { pathNot: [owner, "\\.test\\.ts$", "^test/", "^bench/"] },
      to: { path: `node_modules/(@types/)?${library}/` },
    })),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // node_modules stays in the graph (not followed) so the owning-package rules see imports of libraries.
    exclude: { path: ["^(apps|packages)/[^/]+/dist/", "/src/gen/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.check.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
