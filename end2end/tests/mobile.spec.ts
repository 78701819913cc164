import { expect, test } from "@playwright/test";
import { ADMIN, openProjectsAsAdmin, openVault, signIn, snap, waitForHydration, watchConsole } from "../helpers";

async function noSidewaysScroll(page: import("@playwright/test").Page) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
}

/**
 * Every visible control is at least 44 px tall, so a thumb hits it on the first try. A
 * checkbox may be smaller: its whole label (44 px) is the target.
 */
async function tapTargets(page: import("@playwright/test").Page) {
  const small = await page.evaluate(() =>
    [...document.querySelectorAll("main button, main a.button, main select, main input:not([type=hidden]), .tabs a, .breadcrumbs a, header button")]
      .filter((e) => (e as HTMLElement).offsetParent !== null)
      .map((e) => {
        const box = e.closest("label.check") ?? e;
        const label = (e.textContent ?? "").trim() || e.getAttribute("aria-label") || e.id;
        return { what: `${e.tagName} ${label}`, h: Math.round(box.getBoundingClientRect().height) };
      })
      .filter((t) => t.h < 44),
  );
  expect(small).toEqual([]);
}

test("the shell works at 390 px: drawer menu, user menu, pages fit", async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto("/login");
  await waitForHydration(page);
  await noSidewaysScroll(page);
  await snap(page, "login-390");

  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await waitForHydration(page);
  await noSidewaysScroll(page);

  const projects = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" });
  await expect(projects).not.toBeInViewport();
  const toggle = page.getByRole("button", { name: "Menu" });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(projects).toBeInViewport();
  await snap(page, "menu-open-390");
  await projects.click();
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
  await expect(projects).not.toBeInViewport();

  await page.getByLabel("User menu").click();
  await page.getByRole("menuitem", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
  await expect(page.getByRole("menuitem", { name: "Sign out" })).toBeHidden();
  await noSidewaysScroll(page);
  await snap(page, "profile-390");
  expect(errors).toEqual([]);
});

test("the Users page works at 390 px: rows stack, the invite form fits", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await page.goto("/admin/users");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();

  // Each user is a stacked card: no header row, each cell labelled.
  await expect(page.locator("table.users-table thead")).toBeHidden();
  const me = page.getByRole("row").filter({ hasText: ADMIN.email });
  await expect(me.locator('td[data-label="E-mail"]')).toBeInViewport();
  await expect(me.locator('td[data-label="State"]')).toContainText("Active");
  await noSidewaysScroll(page);
  await tapTargets(page);
  await snap(page, "users-390");

  await page.getByRole("button", { name: "Invite user" }).click();
  await expect(page.getByLabel("E-mail", { exact: true })).toBeInViewport();
  await expect(page.getByRole("button", { name: "Create invitation link" })).toBeVisible();
  await noSidewaysScroll(page);
  await snap(page, "users-invite-390");
  expect(errors).toEqual([]);
});

test("projects, members and vault settings fit at 390 px", async ({ page }) => {
  const errors = watchConsole(page);
  await openVault(page, "Handheld", "production");
  await page.goto("/projects");
  await waitForHydration(page);
  await expect(page.getByRole("link", { name: "Handheld" })).toBeVisible();
  await noSidewaysScroll(page);
  await snap(page, "projects-390");
  await page.getByRole("link", { name: "Handheld" }).click();
  await expect(page.getByRole("link", { name: "production" })).toBeVisible();
  await noSidewaysScroll(page);
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Members" }).click();
  await expect(page.getByRole("button", { name: "Add member" })).toBeVisible();
  await noSidewaysScroll(page);
  await snap(page, "members-390");
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Vaults" }).click();
  await page.getByRole("link", { name: "production" }).click();
  await page.getByRole("navigation", { name: "Vault sections" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("button", { name: "Save access settings" })).toBeVisible();
  await noSidewaysScroll(page);
  await snap(page, "vault-settings-390");
  expect(errors).toEqual([]);
});

test("the Secrets tab and a secret page work at 390 px", async ({ page }) => {
  const errors = watchConsole(page);
  await openVault(page, "Handheld", "phone-imports");
  if ((await page.getByText("No secrets yet").count()) > 0) {
    const lines = ["API_TOKEN=tok-390", "A_RATHER_LONG_SECRET_NAME_THAT_MUST_WRAP_ON_A_PHONE=1", "PLAIN=2"];
    await page.getByRole("button", { name: "Import .env" }).click();
    await page.getByLabel("Lines").fill(lines.join("\n"));
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByRole("button", { name: "Import 3 secret(s)" }).click();
    await expect(page.getByRole("status")).toContainText("Imported 3 secret(s)");
    await page.reload();
    await waitForHydration(page);
  }
  await expect(page.getByText("3 of 3 secrets")).toBeVisible();
  await expect(page.locator("table.data thead").first()).toBeHidden();
  await noSidewaysScroll(page);
  await tapTargets(page);
  await snap(page, "secrets-390");
  // Each row copies its value in one tap.
  await page.getByRole("button", { name: "Copy value of API_TOKEN" }).click();
  await expect(page.getByRole("status")).toContainText("Value copied");
  await page.getByRole("button", { name: "Import .env" }).click();
  await expect(page.getByLabel("Lines")).toBeInViewport();
  await noSidewaysScroll(page);
  await snap(page, "import-sheet-390");
  await page.keyboard.press("Escape");

  await page.getByRole("link", { name: "API_TOKEN" }).click();
  await expect(page.getByRole("heading", { name: /API_TOKEN/ })).toBeVisible();
  await page.getByRole("button", { name: "Reveal", exact: true }).click();
  await expect(page.getByLabel("Secret value")).toHaveText("tok-390");
  await noSidewaysScroll(page);
  await tapTargets(page);
  await snap(page, "secret-390");
  expect(errors).toEqual([]);
});
