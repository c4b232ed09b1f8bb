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
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["node_modules", "/dist/", "/gen/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.check.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
