import { expect, test } from "@playwright/test";
import { ADMIN, signIn, snap, waitForHydration, watchConsole } from "../helpers";

async function noSidewaysScroll(page: import("@playwright/test").Page) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
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
