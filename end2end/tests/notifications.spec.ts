import { expect, type Page, test } from "@playwright/test";
import {
  auditAccessibility,
  fitsPhone,
  joinProject,
  openVault,
  person,
  snap,
  waitForHydration,
  watchConsole,
} from "../helpers";

// The expiry watch as a team meets it: a secret set to expire in three days shows up, within
// a few seconds (the e2e server looks every 2 s), as a notification behind the bell in the
// top bar. Its line links to the secret; "Mark read" and "Mark all read" lower the bell's
// count. A Read-only member of the same project is not told.

/** The bell in the top bar, whose name carries the unread count. */
function bell(page: Page) {
  return page.getByRole("banner").getByRole("link", { name: /^Notifications/ });
}

/** Opens the notifications from the bell, reloading until `line` is listed. */
async function waitForLine(page: Page, line: string): Promise<void> {
  await expect(async () => {
    await page.goto("/");
    await waitForHydration(page);
    await bell(page).click();
    await expect(page.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
    await expect(page.getByRole("link", { name: line })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await waitForHydration(page);
}

for (const width of [1280, 390]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width > 800 ? 800 : 844 } });

    test("a secret nearing expiry reaches the bell; mark read, mark all read", async ({ page, browser }) => {
      const errors = watchConsole(page);
      const stamp = Date.now();
      const project = `Watched ${stamp}`;
      const name = `EXPIRING_${stamp}`;
      await openVault(page, project, "prod");
      const [reader] = await joinProject(page, browser, project, [[person("Watch Reader", "reader.watch", stamp), "read_only"]]);
      await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Vaults" }).click();
      await page.getByRole("link", { name: "prod", exact: true }).click();
      await expect(page.getByRole("heading", { name: "prod", exact: true })).toBeVisible();
      await waitForHydration(page);

      // Expires in three days (the form takes UTC).
      const expires = new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString().slice(0, 16);
      await page.getByRole("button", { name: "New secret" }).click();
      await page.getByLabel("Name", { exact: true }).fill(name);
      await page.getByLabel("Value", { exact: true }).fill("rotate me soon");
      await page.getByLabel("Expiration (UTC)").fill(expires);
      await page.getByRole("button", { name: "Create secret" }).click();
      await expect(page.getByRole("heading", { level: 1, name: new RegExp(name) })).toBeVisible();

      const line = `Secret ${name} expires within 7 days`;
      await waitForLine(page, line);
      await expect(bell(page)).toHaveAccessibleName(/^Notifications, \d+ unread$/);
      const unread = Number((await bell(page).getAttribute("aria-label"))?.match(/(\d+) unread/)?.[1]);
      const entry = page.locator("li.notification").filter({ has: page.getByRole("link", { name: line }) });
      await expect(entry).toContainText(`${project} / prod`);
      await auditAccessibility(page, `notifications (${width} px)`);
      if (width < 800) await fitsPhone(page, "notifications");
      await snap(page, `notifications-${width}`);

      // Mark read: the entry keeps its place, the bell goes down by one.
      await entry.getByRole("button", { name: "Mark read" }).click();
      await expect(page.getByText("Marked read")).toBeVisible();
      await expect(entry.getByRole("button", { name: "Mark read" })).toHaveCount(0);
      await expect(bell(page)).toHaveAccessibleName(unread > 1 ? `Notifications, ${unread - 1} unread` : "Notifications");

      // Mark all read empties the count.
      if (unread > 1) {
        await page.getByRole("button", { name: "Mark all read" }).click();
        await expect(page.getByText("All marked read")).toBeVisible();
      }
      await expect(bell(page)).toHaveAccessibleName("Notifications");
      await expect(page.getByRole("button", { name: "Mark all read" })).toHaveCount(0);

      // The line leads to the secret.
      await page.getByRole("link", { name: line }).click();
      await expect(page.getByRole("heading", { level: 1, name: new RegExp(name) })).toBeVisible();

      // A Read-only member sees the secret but is not the one to act: no notification.
      await reader.goto("/notifications");
      await waitForHydration(reader);
      await expect(reader.getByText("No notifications")).toBeVisible();
      await expect(bell(reader)).toHaveAccessibleName("Notifications");
      expect(errors).toEqual([]);
    });
  });
}
