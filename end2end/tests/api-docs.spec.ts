import { expect, test } from "@playwright/test";
import { auditAccessibility, waitForHydration } from "../helpers";

// /api/docs on a phone: the page itself never scrolls sideways (long paths wrap, tables
// scroll inside their frame), descriptions show code as code rather than raw backticks, a
// link leads back to the app, and axe finds nothing serious in either theme.
test.use({ viewport: { width: 390, height: 844 } });

test("the API docs fit a 390 px screen, render code spans and link back to Secryn", async ({ page }) => {
  const res = await page.goto("/api/docs");
  expect(res?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Secryn API" })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await page.locator("body").innerText()).not.toContain("`");
  await expect(page.locator("main code").first()).toBeVisible();
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await auditAccessibility(page, `API docs (390 px, ${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.getByRole("link", { name: "Back to Secryn" }).click();
  // "/" is the app's home; signed out it leads on to the sign-in page.
  await expect(page).toHaveURL(/\/(login)?$/);
  await waitForHydration(page);
});
