import { expect, test } from "@playwright/test";
import { ADMIN, auditAccessibility, readSetupCode, snap, waitForHydration, watchConsole } from "../helpers";

// The first run of a fresh server: every other project depends on the Admin made here.
test("first run: a wrong setup code is refused, the right one creates the Admin", async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await waitForHydration(page);
  await snap(page, "setup-1280");

  await page.getByLabel("Setup code").fill("AAAA-BBBB-CCCC-DDDD");
  await page.getByLabel("Instance name").fill("Acme Ops");
  await page.getByLabel("Your name").fill(ADMIN.name);
  await page.getByLabel("E-mail").fill(ADMIN.email);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Repeat password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create Admin and sign in" }).click();
  const codeError = page.locator("#field-code-error");
  await expect(codeError).toContainText("setup code is not right");
  await expect(page.getByLabel("Setup code")).toHaveAttribute("aria-invalid", "true");
  await snap(page, "setup-wrong-code-1280");
  await auditAccessibility(page, "setup with a refused code");

  // The refused post came back as a fresh page: what was typed is still there, but for the
  // passwords (kept by /forms.js in this tab, never a password).
  await expect(page.getByLabel("Instance name")).toHaveValue("Acme Ops");
  await expect(page.getByLabel("E-mail")).toHaveValue(ADMIN.email);
  await expect(page.getByLabel("Password", { exact: true })).toHaveValue("");
  await page.getByLabel("Setup code").fill(readSetupCode());
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Repeat password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create Admin and sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await expect(page.locator(".brand-name")).toHaveText("Acme Ops");
  await snap(page, "home-1280");

  // The wizard is gone for good.
  const res = await page.goto("/setup");
  expect(res?.status()).toBe(404);
  expect(errors).toEqual([]);
});
