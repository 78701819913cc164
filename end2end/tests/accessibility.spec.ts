import { type Page, expect, test } from "@playwright/test";
import { auditAccessibility, openVault, signIn, snap, waitForHydration } from "../helpers";

// Every page passes axe-core's WCAG 2.1 A/AA rules with no serious or critical violation, at
// the project's width (this file runs in the 1280 px and the 390 px projects), in the light
// and in the dark theme. Each audited state is also saved as a screenshot
// (target/screenshots/pages/<name>-<width>-<theme>.png) to look at before a release.
async function audit(page: Page, path: string, name: string): Promise<void> {
  await page.goto(path);
  await waitForHydration(page);
  await bothThemes(page, name);
}

async function bothThemes(page: Page, name: string): Promise<void> {
  const width = page.viewportSize()?.width;
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await auditAccessibility(page, `${name} (${width} px, ${colorScheme})`);
    await snap(page, `pages/${name.replaceAll(/[^a-z0-9]+/gi, "-")}-${width}-${colorScheme}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

test("signed-out pages", async ({ page }) => {
  await audit(page, "/login", "sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await bothThemes(page, "sign-in with errors");
  await audit(page, "/no/such/page", "not found, signed out");
});

test("every signed-in page", async ({ page, browser }) => {
  // Some forty audits (each page and sheet, light and dark) take longer than one story.
  test.slow();
  const width = page.viewportSize()?.width ?? 0;
  await openVault(page, "Audit", `audit-${width}`);
  const vaultPath = new URL(page.url()).pathname;
  if ((await page.getByText("No secrets yet").count()) > 0) {
    await page.getByRole("button", { name: "New secret" }).click();
    await page.getByLabel("Name", { exact: true }).fill("AUDITED");
    await page.getByLabel("Value", { exact: true }).fill("audited-value");
    await page.getByRole("button", { name: "Create secret" }).click();
    await expect(page.getByRole("heading", { name: /AUDITED/ })).toBeVisible();
  } else {
    await page.getByRole("link", { name: "AUDITED" }).click();
  }
  const secretPath = new URL(page.url()).pathname;
  // A key for the Keys tab and the key page (OpenSSH too, so the page shows every part).
  await page.goto(`${vaultPath}/keys`);
  await waitForHydration(page);
  if ((await page.getByText("No keys yet").count()) > 0) {
    await page.getByRole("button", { name: "New key" }).click();
    await page.getByLabel("Name", { exact: true }).fill("audited-key");
    await page.getByLabel("Output format").selectOption("both");
    await page.getByRole("button", { name: "Generate key" }).click();
    await expect(page.getByRole("heading", { name: /audited-key/ })).toBeVisible();
  } else {
    await page.getByRole("link", { name: "audited-key" }).click();
  }
  const keyPath = new URL(page.url()).pathname;
  // A self-signed certificate for the Certificates tab and the certificate page.
  await page.goto(`${vaultPath}/certificates`);
  await waitForHydration(page);
  if ((await page.getByText("No certificates yet").count()) > 0) {
    await page.getByRole("button", { name: "New self-signed" }).click();
    await page.getByLabel("Name", { exact: true }).fill("audited-cert");
    await page.getByLabel("Common name").fill("audited.example.test");
    await page.getByRole("button", { name: "Create certificate" }).click();
    await expect(page.getByRole("heading", { name: /audited-cert/ })).toBeVisible();
  } else {
    await page.getByRole("link", { name: "audited-cert" }).click();
  }
  const certPath = new URL(page.url()).pathname;
  const projectPath = await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Audit", exact: true }).getAttribute("href");

  await audit(page, "/", "home");
  await audit(page, "/projects", "projects");
  await audit(page, `${projectPath}`, "project vaults");
  await audit(page, `${projectPath}/members`, "project members");
  await audit(page, `${projectPath}/settings`, "project settings");
  await audit(page, `${vaultPath}/access-keys`, "vault access keys");
  await audit(page, `${vaultPath}/settings`, "vault settings");
  await audit(page, secretPath, "secret");
  // The sheets that hold a task's form, open.
  await page.getByRole("button", { name: "New version" }).click();
  await bothThemes(page, "new version sheet");
  await page.keyboard.press("Escape");
  await audit(page, vaultPath, "vault secrets");
  await page.getByRole("button", { name: "New secret" }).click();
  await bothThemes(page, "new secret sheet");
  await page.keyboard.press("Escape");
  await audit(page, `${vaultPath}/keys`, "vault keys");
  await page.getByRole("button", { name: "New key" }).click();
  await bothThemes(page, "new key sheet");
  await page.getByRole("dialog", { name: "New key" }).getByRole("button", { name: "Upload", exact: true }).click();
  await bothThemes(page, "new key sheet, upload");
  await page.keyboard.press("Escape");
  await audit(page, keyPath, "key");
  if ((await page.getByRole("button", { name: "Make public…" }).count()) > 0) {
    await page.getByRole("button", { name: "Make public…" }).click();
    await bothThemes(page, "make key public sheet");
    await page.getByRole("dialog", { name: "Make this key public" }).getByRole("button", { name: "Make public", exact: true }).click();
    await expect(page.locator("#public-token-text")).toBeVisible();
    await bothThemes(page, "public token hand-off");
    await page.keyboard.press("Escape");
  }
  await audit(page, `${vaultPath}/certificates`, "vault certificates");
  await page.getByRole("button", { name: "New self-signed" }).click();
  await bothThemes(page, "new self-signed certificate sheet");
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await bothThemes(page, "upload certificate sheet");
  await page.keyboard.press("Escape");
  await audit(page, certPath, "certificate");
  if ((await page.getByRole("button", { name: "Make public…" }).count()) > 0) {
    await page.getByRole("button", { name: "Make public…" }).click();
    await bothThemes(page, "make certificate public sheet");
    await page.getByRole("dialog", { name: "Make this certificate public" }).getByRole("button", { name: "Make public", exact: true }).click();
    await expect(page.locator("#public-token-text")).toBeVisible();
    await bothThemes(page, "certificate public token hand-off");
    await page.keyboard.press("Escape");
  }
  await audit(page, "/profile", "profile");
  await audit(page, "/notifications", "notifications");
  await audit(page, "/support", "support");
  await audit(page, "/admin/settings", "settings");
  await audit(page, "/admin/users", "users");
  await audit(page, "/admin/backups", "backups");
  await page.getByRole("button", { name: "Create backup" }).click();
  await expect(page.locator("#backup-key")).toContainText("secryn_bk_");
  await bothThemes(page, "backup key sheet");
  await page.keyboard.press("Escape");
  await audit(page, "/admin/logs/audit", "audit log");
  await page.locator("table.log-table").getByRole("button", { name: /^Details/ }).first().click();
  await expect(page.getByRole("dialog", { name: "Audit entry" })).toBeVisible();
  await bothThemes(page, "audit entry");
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.locator("#chain-status")).toContainText("intact");
  await bothThemes(page, "audit log, chain verified");
  await audit(page, "/admin/logs/audit?from=2027-01-02T00:00&to=2027-01-01T00:00", "audit log, refused range");
  await audit(page, "/admin/logs/audit?resource=nothing-has-this-name", "audit log, nothing matches");
  await audit(page, "/admin/logs/requests", "request log");
  await audit(page, "/admin/logs/users", "user log");
  await audit(page, "/no/such/page", "not found");

  // The invitation page, as the invited person sees it, and their first page.
  const stamp = Date.now();
  const guest = { name: "Invited Guest", email: `guest.${stamp}.${width}@example.com`, password: "the guest's long passphrase" };
  const link = await invitationLink(page, guest.name, guest.email);
  const guestPage = await (await browser.newContext()).newPage();
  await audit(guestPage, new URL(link).pathname, "invitation");
  await guestPage.getByLabel("Password", { exact: true }).fill(guest.password);
  await guestPage.getByLabel("Repeat password").fill(guest.password);
  await guestPage.getByRole("button", { name: "Accept and sign in" }).click();
  await expect(guestPage.getByRole("heading", { name: `Welcome, ${guest.name}` })).toBeVisible();
  await bothThemes(guestPage, "home of a new member");

  // The password-reset page, and the page a used link shows.
  await page.goto("/admin/users");
  await waitForHydration(page);
  await page.getByRole("row").filter({ hasText: guest.email }).getByRole("button", { name: `Reset link: ${guest.name}` }).click();
  const reset = await page.getByLabel("Link to send").inputValue();
  const stranger = await (await browser.newContext()).newPage();
  await audit(stranger, new URL(reset).pathname, "password reset");
  await audit(stranger, "/reset/secryn_rst_not-a-real-link", "unusable link");
});

/** An invitation link for a new person, made by the Admin signed in on `page`. */
async function invitationLink(page: Page, name: string, email: string): Promise<string> {
  await page.goto("/admin/users");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Invite user" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("E-mail", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  return page.getByLabel("Link to send").inputValue();
}

test("sign-in after a refused password", async ({ page }) => {
  // The sign-in page again, with the refusal shown.
  await signIn(page, "nobody@example.com", "not a password at all");
  await expect(page.getByRole("alert")).toBeVisible();
  await bothThemes(page, "sign-in refused");
});

test("the theme follows the system until switched, and the switch is remembered", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await openVault(page, "Audit", `theme-${page.viewportSize()?.width}`);
  const root = page.locator("html");
  await expect(root).not.toHaveAttribute("data-theme", /.+/);
  const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const systemDark = await bg();
  await page.getByRole("button", { name: "Switch between light and dark theme" }).click();
  await expect(root).toHaveAttribute("data-theme", "light");
  expect(await bg()).not.toBe(systemDark);
  await page.getByRole("button", { name: "Switch between light and dark theme" }).click();
  await expect(root).toHaveAttribute("data-theme", "dark");
  // The server renders the picked theme from the first byte.
  await page.emulateMedia({ colorScheme: "light" });
  const res = await page.reload();
  expect(await res?.text()).toContain('data-theme="dark"');
  expect(await bg()).toBe(systemDark);
  await snap(page, `vault-dark-${page.viewportSize()?.width}`);
});
