import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// Tests import workspace packages from source, so a test run never depends on a stale build.
const alias = [
  { find: /^@pancode\/testing\/model-server$/, replacement: `${root}packages/testing/src/model-server/index.ts` },
  { find: /^@pancode\/testing\/(.+)$/, replacement: `${root}packages/testing/src/$1.ts` },
  // Subpath exports of core (the client's start-up path imports only these): their source files.
  { find: /^@pancode\/core\/(errors|digest)$/, replacement: `${root}packages/core/src/$1.ts` },
  { find: /^@pancode\/([^/]+)$/, replacement: `${root}packages/$1/src/index.ts` },
];

// Three projects: unit (no IO beyond tmp files), int (real Postgres, NATS, Docker, git), e2e (whole processes).
export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: [
            "packages/*/src/**/*.test.ts",
            "apps/*/src/**/*.test.ts",
            "scripts/**/*.test.ts",
            "bench/**/*.test.ts",
          ],
          exclude: ["**/*.int.test.ts", "**/node_modules/**", "**/dist/**"],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "int",
          include: ["packages/*/src/**/*.int.test.ts", "apps/*/src/**/*.int.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.e2e.test.ts", "test/faults/**/*.e2e.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          // Prints the table of the fault scenarios (test/faults) at the end of a run that had any.
          globalSetup: ["test/faults/fault-table-setup.ts"],
        },
      },
    ],
  },
});
