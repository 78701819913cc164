import { expect, test } from "@playwright/test";
import { ADMIN, NEW_PASSWORD, signIn, snap, waitForHydration, watchConsole } from "../helpers";

// Signing in and out, and the profile; the Admin from the setup project signs in.
test.describe.configure({ mode: "serial" });

test("sign-out, then a wrong password shows one message, then sign-in works", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await waitForHydration(page);

  // Every section is in the sidebar, the Admin's ones too.
  const main = page.getByRole("navigation", { name: "Main" });
  for (const item of ["Projects", "Support", "Users", "Logs", "Backups", "Settings"]) {
    await expect(main.getByRole("link", { name: item })).toBeVisible();
  }
  // The user menu opens and closes from the keyboard.
  await page.getByLabel("User menu").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "Sign out" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menuitem", { name: "Sign out" })).toBeHidden();
  await page.getByLabel("User menu").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  // Signed out means signed out: pages send us back to sign-in.
  await page.goto("/profile");
  await expect(page).toHaveURL(/\/login\?next=\/profile$/);

  await waitForHydration(page);
  await page.getByLabel("E-mail").fill(ADMIN.email);
  await page.getByLabel("Password", { exact: true }).fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The e-mail address or password is not correct." })).toBeVisible();
  await snap(page, "login-failed-1280");

  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
  expect(errors).toEqual([]);
});

test("change password: the current one is required, then the new one signs in", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await page.goto("/profile");
  await waitForHydration(page);
  await expect(page.getByRole("navigation", { name: "Breadcrumb" })).toContainText("Profile");

  await page.getByLabel("Current password").fill("wrong current password");
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Repeat new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#field-current_password-error")).toHaveText("The current password is not correct.");

  await page.getByLabel("Current password").fill(ADMIN.password);
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Repeat new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Password changed");
  await snap(page, "profile-1280");

  // Notification preference is saved and stays after reload.
  await page.getByLabel("E-mail me about expiring secrets").uncheck();
  await page.getByRole("button", { name: "Save preference" }).click();
  await expect(page.getByRole("status")).toContainText("Notification preference saved");
  await page.reload();
  await expect(page.getByLabel("E-mail me about expiring secrets")).not.toBeChecked();

  await page.getByLabel("User menu").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("alert")).toContainText("not correct");
  await signIn(page, ADMIN.email, NEW_PASSWORD);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();

  // And back, so later stories sign in with the usual password.
  await page.goto("/profile");
  await waitForHydration(page);
  await page.getByLabel("Current password").fill(NEW_PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Repeat new password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Password changed");
  expect(errors).toEqual([]);
});

test("unknown pages show the 404 page inside the app", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  const res = await page.goto("/no/such/page");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
