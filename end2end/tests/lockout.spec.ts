import { expect, test } from "@playwright/test";
import { ADMIN, signIn, snap, waitForHydration } from "../helpers";

// Runs last: it holds the Admin's account back from this address until an Admin lifts it.
test("wrong passwords hold back one source, not the owner; an Admin sees the lock and lifts it", async ({
  page,
  browser,
}) => {
  // The Admin is signed in already, in a browser of their own.
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();

  // Someone else guesses from this address: five tries, then even the right password is refused.
  const guesser = await (await browser.newContext()).newPage();
  for (let i = 0; i < 5; i++) {
    await signIn(guesser, ADMIN.email, `wrong password ${i}`);
    await expect(guesser.getByRole("alert")).toContainText("not correct");
  }
  await signIn(guesser, ADMIN.email, ADMIN.password);
  await expect(guesser.getByRole("alert")).toContainText("Too many failed sign-ins to this account from your network address");
  await expect(guesser).toHaveURL(/\/login/);
  await snap(guesser, "lockout-1280");

  // The Admin's session is untouched; the Users page lists the lock and lifts it.
  await page.goto("/admin/users");
  await waitForHydration(page);
  const locks = page.locator('table[data-table="locks"]');
  const row = locks.getByRole("row").filter({ hasText: "Account refused from this address" });
  await expect(row).toContainText(ADMIN.email);
  await expect(row).toContainText("127.0.0.1");
  await snap(page, "users-locks-1280");
  await row.getByRole("button", { name: /^Lift lock/ }).click();
  await expect(page.getByRole("status")).toContainText("Lock lifted");
  await expect(locks.getByRole("row").filter({ hasText: "Account refused from this address" })).toHaveCount(0);

  await signIn(guesser, ADMIN.email, ADMIN.password);
  await expect(guesser.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
});
