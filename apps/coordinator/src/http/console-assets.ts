/** The package that builds the console's pages; the coordinator serves what it ships when it is installed. */
const CONSOLE_PACKAGE = "@pancode/console";

/**
 * Where the console's built assets are: the configured directory, else `consoleAssetsDir()` of @pancode/console when
 * that package resolves, else none (the API still works; pages answer 404 naming PANCODE_CONSOLE_ASSETS).
 */
export async function resolveConsoleAssets(configured: string | undefined): Promise<string | undefined> {
  if (configured) return configured;
  try {
    // A name in a variable: the package is optional, so neither the compiler nor the bundler may require it.
    const name = CONSOLE_PACKAGE;
    const mod = (await import(name)) as { consoleAssetsDir?: () => string };
    return mod.consoleAssetsDir?.();
  } catch {
    return undefined;
  }
}
