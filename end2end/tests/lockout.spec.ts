import { expect, test } from "@playwright/test";
import { ADMIN, signIn, snap } from "../helpers";

// Runs last: it locks the Admin account for 15 minutes.
test("five wrong passwords lock the account, even against the right one", async ({ page }) => {
  for (let i = 0; i < 5; i++) {
    await signIn(page, ADMIN.email, `wrong password ${i}`);
    await expect(page.getByRole("alert")).toContainText("not correct");
  }
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("alert")).toContainText("locked after repeated failed sign-ins");
  await expect(page).toHaveURL(/\/login/);
  await snap(page, "lockout-1280");
});
