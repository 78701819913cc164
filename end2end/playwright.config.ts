import { defineConfig } from "@playwright/test";

// Browser tests run against the release server binary (built by scripts/build.sh), started by
// scripts/e2e-server.sh on a fresh data directory. The browser is Debian's Chromium: browser
// downloads are neither needed nor possible on these machines.
const baseURL = process.env.SECRYN_E2E_URL ?? "http://127.0.0.1:3100";

// Without the networking flags Chromium keeps trying to reach Google services.
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export default defineConfig({
  testDir: "./tests",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  outputDir: `./test-results/artifacts-${process.env.SECRYN_E2E_ENGINE ?? "sqlite"}`,
  reporter: [
    ["list"],
    // scripts/test.sh reads stats.expected / stats.unexpected from this file.
    ["json", { outputFile: process.env.SECRYN_E2E_REPORT ?? "./test-results/results.json" }],
  ],
  use: {
    baseURL,
    browserName: "chromium",
    headless: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: chromiumArgs,
    },
  },
  // One server serves the whole run. `setup` performs the first run (creating the Admin every
  // other test signs in as); every other project depends on it alone, and each spec file makes
  // the projects and vaults it uses (helpers `openProject`, `openVault`), so any file runs on
  // its own: `npx playwright test tests/secrets.spec.ts`. `desktop` runs the feature stories at
  // 1280 px, `mobile` the 390 px checks, `no-script` reads pages and posts forms with
  // JavaScript off, `lockout` holds the Admin back and lifts it again.
  projects: [
    {
      name: "setup",
      testMatch: /setup\.spec\.ts/,
      use: { viewport: { width: 1280, height: 800 } },
    },
    {
      name: "desktop",
      testIgnore: /(setup|mobile|lockout|no-script)\.spec\.ts/,
      dependencies: ["setup"],
      use: { viewport: { width: 1280, height: 800 } },
    },
    {
      name: "mobile",
      testMatch: /(mobile|accessibility)\.spec\.ts/,
      dependencies: ["setup"],
      use: { viewport: { width: 390, height: 844 } },
    },
    {
      name: "no-script",
      testMatch: /no-script\.spec\.ts/,
      dependencies: ["setup"],
      use: { viewport: { width: 1280, height: 800 }, javaScriptEnabled: false },
    },
    {
      name: "lockout",
      testMatch: /lockout\.spec\.ts/,
      dependencies: ["setup"],
      use: { viewport: { width: 1280, height: 800 } },
    },
  ],
  webServer: {
    // Runs from end2end/: starts target/release/secryn on a fresh data dir. The one-time
    // setup code it prints is kept in target/e2e-data/server.log for the tests to read.
    command: "bash ../scripts/e2e-server.sh",
    url: `${baseURL}/healthz`,
    reuseExistingServer: true,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
