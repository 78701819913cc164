import { expect, test } from "@playwright/test";
import { inviteAndJoin, openVault, waitForHydration, watchConsole } from "../helpers";

// Pages arrive rendered and the browser takes them over. A page that fails to hydrate is dead
// (no button works), and such failures can depend on timing, so every page with tabs is
// loaded several times, by an Admin and by a Read-only member, and must hydrate each time
// with no console error.
test("every tab page hydrates, load after load, for an Admin and a Read-only member", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const stamp = Date.now();
  await openVault(page, `Hydration ${stamp}`, "loaded");
  const vaultPath = new URL(page.url()).pathname;
  await page.getByRole("button", { name: "New secret" }).click();
  await page.getByLabel("Name", { exact: true }).fill("HYDRATED");
  await page.getByLabel("Value", { exact: true }).fill("value");
  await page.getByLabel("Tags").fill("one, two");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page.getByRole("heading", { name: /HYDRATED/ })).toBeVisible();
  const secretPath = new URL(page.url()).pathname;
  await page.goto(`${vaultPath}/keys`);
  await waitForHydration(page);
  await page.getByRole("button", { name: "New key" }).click();
  await page.getByLabel("Name", { exact: true }).fill("hydrated-key");
  await page.getByLabel("Output format").selectOption("both");
  await page.getByRole("button", { name: "Generate key" }).click();
  await expect(page.getByRole("heading", { name: /hydrated-key/ })).toBeVisible();
  const keyPath = new URL(page.url()).pathname;
  await page.goto(`${vaultPath}/certificates`);
  await waitForHydration(page);
  await page.getByRole("button", { name: "New self-signed" }).click();
  await page.getByLabel("Name", { exact: true }).fill("hydrated-cert");
  await page.getByLabel("Common name").fill("hydrated.example.test");
  await page.getByLabel("Tags").fill("one, two");
  await page.getByRole("button", { name: "Create certificate" }).click();
  await expect(page.getByRole("heading", { name: /hydrated-cert/ })).toBeVisible();
  const certPath = new URL(page.url()).pathname;
  const projectPath = await page
    .getByRole("navigation", { name: "Breadcrumb" })
    .getByRole("link", { name: `Hydration ${stamp}`, exact: true })
    .getAttribute("href");

  const reader = { name: "Vault Reader", email: `reader.hydration.${stamp}@example.com`, password: "the vault reader's passphrase" };
  const readerPage = await inviteAndJoin(page, browser, reader);
  const readerErrors = watchConsole(readerPage);
  await page.goto(`${projectPath}/members`);
  await waitForHydration(page);
  await page.getByLabel("User", { exact: true }).selectOption({ label: `${reader.name} <${reader.email}>` });
  await page.getByLabel("Role", { exact: true }).selectOption("read_only");
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("row").filter({ hasText: reader.email })).toBeVisible();

  const adminPaths = [
    `${projectPath}`,
    `${projectPath}/members`,
    `${projectPath}/settings`,
    vaultPath,
    `${vaultPath}/keys`,
    `${vaultPath}/certificates`,
    `${vaultPath}/access-keys`,
    `${vaultPath}/settings`,
    secretPath,
    keyPath,
    certPath,
    "/admin/logs/audit",
    "/admin/logs/requests",
    "/admin/logs/users",
  ];
  const readerPaths = [
    `${projectPath}`,
    `${projectPath}/members`,
    vaultPath,
    `${vaultPath}/keys`,
    `${vaultPath}/certificates`,
    secretPath,
    keyPath,
    certPath,
  ];
  for (let round = 0; round < 4; round++) {
    for (const [who, paths] of [
      [page, adminPaths],
      [readerPage, readerPaths],
    ] as const) {
      for (const path of paths) {
        await who.goto(path);
        await waitForHydration(who);
      }
    }
  }
  // After hydration the tabs switch inside the page.
  await page.goto(vaultPath);
  await waitForHydration(page);
  await page.getByRole("navigation", { name: "Vault sections" }).getByRole("link", { name: "Access keys" }).click();
  await expect(page.getByText("No access keys yet")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "loaded" })).toBeVisible();
  // The log tabs too, and the detail of an entry opens once hydrated.
  await page.goto("/admin/logs/audit");
  await waitForHydration(page);
  await page.getByRole("navigation", { name: "Logs" }).getByRole("link", { name: "Users" }).click();
  await expect(page.getByLabel("Event", { exact: true })).toBeVisible();
  await page.locator("table.log-table").getByRole("button", { name: /^Details/ }).first().click();
  await expect(page.getByRole("dialog", { name: "User-log entry" })).toBeVisible();
  await page.keyboard.press("Escape");
  expect(errors).toEqual([]);
  expect(readerErrors).toEqual([]);
});
