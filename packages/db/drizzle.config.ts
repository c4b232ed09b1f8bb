import { defineConfig } from "drizzle-kit";

// Migrations are generated offline from the schema (no database connection needed) and committed under ./drizzle;
// the runtime migrator in src/migrate.ts applies them, so deployments never carry drizzle-kit.
export default defineConfig({
  schema: "./src/schema/index.ts",
  out: "./drizzle",
  dialect: "postgresql",
  strict: true,
  verbose: true,
});
