import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's chromium (scripts/setup-machine.sh installs it); playwright-core never downloads a browser. */
const CHROMIUM = "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOTS = join(import.meta.dirname, "screenshots");

export async function launchBrowser(): Promise<Browser> {
  if (!HAVE_CHROMIUM)
    throw new Error(`${CHROMIUM} is missing: run scripts/setup-machine.sh (apt-get install chromium)`);
  await mkdir(SCREENSHOTS, { recursive: true });
  // --no-sandbox: the tests run as root, where chromium's own sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}

/** A page of its own browser context (its own cookie jar), logged in through the login form with `token`. */
export interface Session {
  context: BrowserContext;
  page: Page;
  /** Dialogs (alert, confirm) the page opened that the test did not expect: a script of a run's output ran. */
  dialogs: string[];
}

export async function logIn(browser: Browser, baseUrl: string, token: string): Promise<Session> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  const dialogs: string[] = [];
  // Kept for a failing test's message: what the browser logged (CSP refusals, failed requests, script errors).
  page.on("console", (m) => (m.type() === "error" ? console.log(`[browser] ${m.text()}`) : undefined));
  page.on("pageerror", (err) => console.log(`[browser] page error: ${err.message}`));
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto("/");
  await page.fill("#token", token);
  await page.click("button[type=submit]");
  await page.getByTestId("whoami").waitFor();
  return { context, page, dialogs };
}

export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
