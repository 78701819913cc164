import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect, type Page } from "@playwright/test";

// scripts/e2e-server.sh copies the server's output here (fresh for every Playwright run).
export const SERVER_LOG = resolve(__dirname, "../target/e2e-data/server.log");

/** The one-time setup code the server printed at start ("Setup code: XXXX-XXXX-XXXX-XXXX"). */
export function readSetupCode(): string {
  const log = readFileSync(SERVER_LOG, "utf8");
  const m = log.match(/Setup code: ([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})/);
  if (!m) throw new Error(`no "Setup code:" line in ${SERVER_LOG}`);
  return m[1];
}

/** Waits until the page has hydrated (the app sets data-hydrated on <body>). */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
}
