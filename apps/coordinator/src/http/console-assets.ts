import { consoleAssetsDir } from "@pancode/console";

/** Where the console's built assets are: the configured directory (PANCODE_CONSOLE_ASSETS), else what @pancode/console ships. */
export function resolveConsoleAssets(configured: string | undefined): string {
  return configured || consoleAssetsDir();
}
