import { expect, test, type Page } from "@playwright/test";
import { ADMIN, signIn, snap, waitForHydration, watchConsole } from "../helpers";

// The Admin manages users: invite, the invitee joins from a second browser, disable signs them
// out at once, enable, Admin role granted and revoked, reset link. The Admin's own password is
// never changed here.
test.describe.configure({ mode: "serial" });

const stamp = Date.now();
const USER = { name: "Plain User", email: `user.${stamp}@example.com`, password: "the user's own long passphrase" };

function row(page: Page, email: string) {
  return page.getByRole("row").filter({ hasText: email });
}

async function openUsers(page: Page) {
  await page.goto("/admin/users");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();
}

test("Admin invites a user, who accepts in another browser and is signed in", async ({ page, browser }) => {
  const errors = watchConsole(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await openUsers(page);
  const me = row(page, ADMIN.email);
  await expect(me).toContainText("Admin");
  await expect(me).toContainText("Active");
  await expect(me).toContainText("(you)");
  await expect(me.getByRole("button", { name: /^Disable/ })).toHaveCount(0);

  // A taken address is refused beside the field.
  await page.getByRole("button", { name: "Invite user" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Someone Else");
  await page.getByLabel("E-mail", { exact: true }).fill(ADMIN.email.toUpperCase());
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page.locator("#field-email-error")).toHaveText("A user with this e-mail address already exists.");

  await page.getByLabel("Name", { exact: true }).fill(USER.name);
  await page.getByLabel("E-mail", { exact: true }).fill(USER.email);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const linkBox = page.getByLabel("Link to send");
  await expect(linkBox).toBeVisible();
  await expect(page.getByText("Copy this link and send it to them")).toBeVisible();
  const link = await linkBox.inputValue();
  const origin = new URL(page.url()).origin;
  expect(link).toMatch(new RegExp(`^${origin.replace(/[.]/g, "\\.")}/invite/secryn_inv_[A-Za-z0-9_-]{49}$`));
  await expect(row(page, USER.email)).toContainText("Pending");

  // The Copy button puts exactly that link on the clipboard.
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  await page.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Link copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await snap(page, "users-invited-1280");

  // The user opens the link in a browser of their own, signed out.
  const context = await browser.newContext();
  const userPage = await context.newPage();
  const userErrors = watchConsole(userPage);
  await userPage.goto(link);
  await waitForHydration(userPage);
  await expect(userPage.getByRole("heading", { name: "Welcome to Secryn" })).toBeVisible();
  await expect(userPage.getByText(USER.email)).toBeVisible();
  await expect(userPage.getByLabel("Your name")).toHaveValue(USER.name);
  await snap(userPage, "invite-accept-1280");
  await userPage.getByLabel("Password", { exact: true }).fill(USER.password);
  await userPage.getByLabel("Repeat password").fill("not the same passphrase");
  await userPage.getByRole("button", { name: "Accept and sign in" }).click();
  await expect(userPage.locator("#field-password_confirm-error")).toHaveText("The two passwords are not the same.");
  // A refused post comes back as a fresh page: the name is kept, passwords are typed again.
  await expect(userPage.getByLabel("Your name")).toHaveValue(USER.name);
  await userPage.getByLabel("Password", { exact: true }).fill(USER.password);
  await userPage.getByLabel("Repeat password").fill(USER.password);
  await userPage.getByRole("button", { name: "Accept and sign in" }).click();
  await expect(userPage.getByRole("heading", { name: `Welcome, ${USER.name}` })).toBeVisible();
  await expect(userPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" })).toHaveCount(0);

  // The link worked once; opening it again says so without saying why.
  await userPage.goto(link);
  await expect(userPage.getByRole("heading", { name: "This link cannot be used" })).toBeVisible();
  const stranger = await browser.newPage();
  await stranger.goto(link.replace(/.{6}$/, "AAAAAA"));
  await expect(stranger.getByRole("heading", { name: "This link cannot be used" })).toBeVisible();
  await snap(stranger, "invite-unusable-1280");
  await stranger.close();

  await page.reload();
  await waitForHydration(page);
  await expect(row(page, USER.email)).toContainText("Active");
  expect(errors).toEqual([]);
  expect(userErrors).toEqual([]);
  await context.close();
});

test("disabling signs the user out at once; enabling lets them back; Admin role granted and revoked", async ({
  page,
  browser,
}) => {
  const errors = watchConsole(page);
  const context = await browser.newContext();
  const userPage = await context.newPage();
  const userErrors = watchConsole(userPage);
  await signIn(userPage, USER.email, USER.password);
  await expect(userPage.getByRole("heading", { name: `Welcome, ${USER.name}` })).toBeVisible();

  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await openUsers(page);
  const userRow = row(page, USER.email);

  // Disable, after a confirmation.
  await userRow.getByRole("button", { name: `Disable: ${USER.name}` }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(`Disable ${USER.name}?`);
  await expect(dialog).toContainText("signed out everywhere");
  await snap(page, "users-confirm-disable-1280");
  await dialog.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByRole("status")).toContainText(`${USER.name} is disabled`);
  await expect(userRow).toContainText("Disabled");

  // The user's very next page load lands on sign-in, and signing in is refused.
  await userPage.goto("/projects");
  await expect(userPage).toHaveURL(/\/login\?next=\/projects$/);
  await waitForHydration(userPage);
  await userPage.getByLabel("E-mail").fill(USER.email);
  await userPage.getByLabel("Password", { exact: true }).fill(USER.password);
  await userPage.getByRole("button", { name: "Sign in" }).click();
  await expect(userPage.getByRole("alert")).toContainText("not correct");

  // Enable again: the user signs in.
  await userRow.getByRole("button", { name: `Enable: ${USER.name}` }).click();
  await expect(userRow).toContainText("Active");
  await signIn(userPage, USER.email, USER.password);
  await expect(userPage.getByRole("heading", { name: `Welcome, ${USER.name}` })).toBeVisible();

  // Make the user an Admin: they see the admin sections.
  await userRow.getByRole("button", { name: `Make Admin: ${USER.name}` }).click();
  await expect(dialog).toContainText(`Make ${USER.name} an Admin?`);
  await dialog.getByRole("button", { name: "Make Admin" }).click();
  await expect(userRow.locator(".badge", { hasText: "Admin" })).toBeVisible();
  await userPage.reload();
  await expect(userPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" })).toBeVisible();

  // And take it back.
  await userRow.getByRole("button", { name: `Remove Admin: ${USER.name}` }).click();
  await expect(dialog).toContainText(`Remove the Admin role from ${USER.name}?`);
  await dialog.getByRole("button", { name: "Remove Admin" }).click();
  await expect(page.getByRole("status")).toContainText(`${USER.name} is no longer an Admin`);
  await expect(userRow.locator(".badge", { hasText: "Admin" })).toHaveCount(0);
  await userPage.reload();
  await expect(userPage.getByRole("heading", { name: `Welcome, ${USER.name}` })).toBeVisible();
  await expect(userPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" })).toHaveCount(0);
  await userPage.goto("/admin/users");
  await expect(userPage.getByRole("heading", { name: "Page not found" })).toBeVisible();

  // Filters: text and state, with an empty state.
  await page.getByLabel("Search").fill(`user.${stamp}`);
  await expect(page.getByRole("row")).toHaveCount(2);
  await expect(userRow).toBeVisible();
  await page.getByLabel("State").selectOption("disabled");
  await expect(page.getByText("No users match these filters")).toBeVisible();
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(row(page, ADMIN.email)).toBeVisible();
  await expect(userRow).toBeVisible();
  await page.getByLabel("State").selectOption("active");
  await expect(row(page, ADMIN.email)).toBeVisible();
  await page.getByLabel("State").selectOption("all");
  await snap(page, "users-1280");
  expect(errors).toEqual([]);
  expect(userErrors).toEqual([]);
  await context.close();
});

test("a password reset link sets a new password once and signs the user out everywhere", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const context = await browser.newContext();
  const userPage = await context.newPage();
  await signIn(userPage, USER.email, USER.password);
  await expect(userPage.getByRole("heading", { name: `Welcome, ${USER.name}` })).toBeVisible();

  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await openUsers(page);
  await row(page, USER.email).getByRole("button", { name: `Reset link: ${USER.name}` }).click();
  await expect(page.getByRole("heading", { name: `Password reset link for ${USER.name}` })).toBeVisible();
  const link = await page.getByLabel("Link to send").inputValue();
  expect(link).toContain("/reset/secryn_rst_");

  const newPassword = "the user's brand new passphrase";
  const other = await browser.newPage();
  await other.goto(link);
  await waitForHydration(other);
  await expect(other.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await expect(other.getByText(USER.email)).toBeVisible();
  await other.getByLabel("New password", { exact: true }).fill(newPassword);
  await other.getByLabel("Repeat new password").fill(newPassword);
  await other.getByRole("button", { name: "Save new password" }).click();
  await expect(other).toHaveURL(/\/login\?reset=done$/);
  await expect(other.getByText("Your new password is set")).toBeVisible();
  await other.goto(link);
  await expect(other.getByRole("heading", { name: "This link cannot be used" })).toBeVisible();
  await other.close();

  // The user's existing session ended; the new password works, the old one not.
  await userPage.goto("/profile");
  await expect(userPage).toHaveURL(/\/login/);
  await signIn(userPage, USER.email, USER.password);
  await expect(userPage.getByRole("alert")).toContainText("not correct");
  await signIn(userPage, USER.email, newPassword);
  await expect(userPage.getByRole("heading", { name: `Welcome, ${USER.name}` })).toBeVisible();
  USER.password = newPassword;
  expect(errors).toEqual([]);
  await context.close();
});
