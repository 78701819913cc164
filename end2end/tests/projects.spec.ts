import { expect, type Page, test } from "@playwright/test";
import { ADMIN, auditAccessibility, inviteAndJoin, signIn, snap, waitForHydration, watchConsole } from "../helpers";

// The Admin's side of projects and vaults: create, search, vault settings, archive.
test.describe.configure({ mode: "serial" });

test("Admin creates a project and a vault, restricts it, and finds it again", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await page.goto("/projects");
  await waitForHydration(page);
  // (The empty list is checked for a new member in the last story: other files may have
  // made projects before this one runs.)
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Payments");
  await page.getByLabel("Description").fill("Card processing services");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("heading", { name: "Payments" })).toBeVisible();
  await expect(page.getByText("No vaults yet")).toBeVisible();

  // A second project with the same name (any case) is refused beside the field.
  await page.goto("/projects");
  await waitForHydration(page);
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Name", { exact: true }).fill("PAYMENTS");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.locator("#field-name-error")).toHaveText("A project with this name already exists.");
  await page.getByLabel("Name", { exact: true }).fill("Internal tools");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("heading", { name: "Internal tools" })).toBeVisible();

  // Search by name.
  await page.goto("/projects");
  await waitForHydration(page);
  await page.getByLabel("Search by name").fill("pay");
  await expect(page.getByRole("link", { name: "Payments" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Internal tools" })).toBeHidden();
  await snap(page, "projects-1280");

  // A vault in Payments.
  await page.getByRole("link", { name: "Payments" }).click();
  await waitForHydration(page);
  await page.getByText("New vault").click();
  await page.getByLabel("Name", { exact: true }).fill("production");
  await page.getByLabel("Description").fill("Live keys");
  await page.getByRole("button", { name: "Create vault" }).click();
  await expect(page.getByRole("heading", { name: "production" })).toBeVisible();
  // Who can see the vault is on the vault page itself; the Admin is marked as such.
  await expect(whoCanSee(page)).toHaveCount(0);
  await openWhoHasAccess(page);
  await expect(whoCanSee(page).getByRole("listitem").filter({ hasText: ADMIN.email })).toContainText("Admin — sees every project");
  for (const tab of ["Secrets", "Access keys", "Settings"]) {
    await expect(page.getByRole("navigation", { name: "Vault sections" }).getByRole("link", { name: tab, exact: true })).toBeVisible();
  }
  await page.getByRole("navigation", { name: "Vault sections" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("checkbox", { name: /Restricted/ }).check();
  await page.getByRole("button", { name: "Save access settings" }).click();
  await expect(page.getByRole("status")).toContainText("Access settings saved");
  await expect(page.locator("h1 .badge")).toHaveText("Restricted");
  await expect(page.locator("details.access-panel summary")).toContainText("Project Managers and the people on the vault's list");
  await snap(page, "vault-settings-1280");

  // The project's "Who has access" lists the Admin, marked, with nothing to remove.
  await page.getByRole("link", { name: "Payments" }).first().click();
  await waitForHydration(page);
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Members" }).click();
  await expect(page.getByRole("heading", { name: "Who has access" })).toBeVisible();
  const adminRow = page.getByRole("row").filter({ hasText: ADMIN.email });
  await expect(adminRow).toContainText("Admin — sees every project");
  await expect(adminRow.getByRole("button", { name: /Remove/ })).toHaveCount(0);
  expect(errors).toEqual([]);
});

/** The list inside the vault page's "Who has access" disclosure. */
function whoCanSee(page: Page) {
  return page.getByRole("list", { name: "People who can see this vault" });
}

/** Opens the vault page's "Who has access" disclosure (it loads when opened). */
async function openWhoHasAccess(page: Page): Promise<void> {
  await page.locator("details.access-panel summary").click();
  await expect(whoCanSee(page)).toBeVisible();
}

test("archiving a project makes it read-only and hides it until shown", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await page.goto("/projects");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Internal tools" }).click();
  await waitForHydration(page);
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Archive project" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("read-only for everyone");
  await dialog.getByRole("button", { name: "Archive" }).click();
  await expect(page.getByRole("note")).toContainText("archived");
  await expect(page.getByLabel("Name", { exact: true })).toBeDisabled();
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Vaults" }).click();
  await expect(page.getByText("New vault")).toBeHidden();
  await snap(page, "project-archived-1280");

  await page.goto("/projects");
  await waitForHydration(page);
  await expect(page.getByRole("link", { name: "Internal tools" })).toBeHidden();
  await page.getByLabel("Show archived").check();
  await expect(page.getByRole("link", { name: "Internal tools" })).toBeVisible();

  // And back.
  await page.getByRole("link", { name: "Internal tools" }).click();
  await waitForHydration(page);
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Unarchive project" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Unarchive" }).click();
  await expect(page.getByLabel("Name", { exact: true })).toBeEnabled();
  expect(errors).toEqual([]);
});

test("a Project Manager adds a Contributor, who sees a restricted vault only once listed", async ({ page, browser }) => {
  const stamp = Date.now();
  const manager = { name: "Project Manager", email: `manager.${stamp}@example.com`, password: "the manager's long passphrase" };
  const contributor = { name: "Vault Contributor", email: `contributor.${stamp}@example.com`, password: "the contributor's long passphrase" };
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  const managerPage = await inviteAndJoin(page, browser, manager);
  const contributorPage = await inviteAndJoin(page, browser, contributor);
  const managerErrors = watchConsole(managerPage);
  const contributorErrors = watchConsole(contributorPage);

  // Not a member yet: the project does not exist for the Contributor.
  await contributorPage.goto("/projects");
  await waitForHydration(contributorPage);
  await expect(contributorPage.getByText("No projects here")).toBeVisible();

  // The Admin makes the manager Project Manager of Payments.
  await page.goto("/projects");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Payments" }).click();
  await waitForHydration(page);
  const projectUrl = page.url();
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Members" }).click();
  // The picker narrows as one types part of an e-mail address, and picks the match.
  const people = page.getByLabel("User", { exact: true });
  await page.getByLabel("Find by name or e-mail").fill(`MANAGER.${stamp}`);
  await expect(page.getByText(/^1 of \d+ shown\.$/)).toBeVisible();
  await expect(people.getByRole("option")).toHaveText([`${manager.name} <${manager.email}>`]);
  await expect(people.getByRole("option", { selected: true })).toHaveText(`${manager.name} <${manager.email}>`);
  await page.getByLabel("Role", { exact: true }).selectOption("project_manager");
  await snap(page, "member-picker-1280");
  await auditAccessibility(page, "member picker, filtered");
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("row").filter({ hasText: manager.email })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: ADMIN.email })).toContainText("Admin — sees every project");

  // The Project Manager adds the Contributor; a Project Manager cannot hand out Project Manager.
  await managerPage.goto(`${projectUrl}/members`);
  await waitForHydration(managerPage);
  const roles = await managerPage.getByLabel("Role", { exact: true }).locator("option").allTextContents();
  expect(roles).toEqual(["Read-only", "Contributor"]);
  await managerPage.getByLabel("User", { exact: true }).selectOption({ label: `${contributor.name} <${contributor.email}>` });
  await managerPage.getByLabel("Role", { exact: true }).selectOption("contributor");
  await managerPage.getByRole("button", { name: "Add member" }).click();
  await expect(managerPage.getByRole("status")).toContainText("Member added");
  await expect(managerPage.getByRole("row").filter({ hasText: contributor.email })).toContainText("Contributor");
  await snap(managerPage, "members-1280");

  // The Contributor sees Payments but not the restricted vault, not even by its address.
  await contributorPage.goto("/projects");
  await waitForHydration(contributorPage);
  await contributorPage.getByRole("link", { name: "Payments" }).click();
  await waitForHydration(contributorPage);
  await expect(contributorPage.getByText("There is no vault here you can see.")).toBeVisible();
  await managerPage.goto(projectUrl);
  await waitForHydration(managerPage);
  await managerPage.getByRole("link", { name: "production" }).click();
  await waitForHydration(managerPage);
  const vaultUrl = managerPage.url();
  const hidden = await contributorPage.goto(vaultUrl);
  await expect(contributorPage.getByRole("heading", { name: "Page not found" })).toBeVisible();
  expect(hidden?.status()).toBe(404);

  // The Project Manager puts the Contributor on the vault's list, found by typing part of the
  // address; now the Contributor sees it.
  await managerPage.goto(`${vaultUrl}/settings`);
  await waitForHydration(managerPage);
  await managerPage.getByLabel("Find by name or e-mail").fill(`contributor.${stamp}@`);
  await expect(managerPage.getByLabel("Add a project member").getByRole("option", { selected: true })).toHaveText(`${contributor.name} <${contributor.email}>`);
  await auditAccessibility(managerPage, "vault member list picker");
  await managerPage.getByRole("button", { name: "Add to list" }).click();
  await expect(managerPage.getByRole("status")).toContainText("Member list updated");
  await contributorPage.goto(projectUrl);
  await waitForHydration(contributorPage);
  await expect(contributorPage.getByRole("link", { name: "production" })).toBeVisible();
  await contributorPage.getByRole("link", { name: "production" }).click();
  await expect(contributorPage.getByRole("heading", { name: "production" })).toBeVisible();
  // A Contributor has no settings or access-key tabs.
  await expect(contributorPage.getByRole("navigation", { name: "Vault sections" }).getByRole("link", { name: "Settings" })).toHaveCount(0);
  // But they see who can see the vault: the Admin (marked), the Project Manager, and the list.
  await openWhoHasAccess(contributorPage);
  const seeing = whoCanSee(contributorPage).getByRole("listitem");
  await expect(seeing.filter({ hasText: ADMIN.email })).toContainText("Admin — sees every project");
  // (The role is read from the badges: the manager's name says "Project Manager" too.)
  await expect(seeing.filter({ hasText: manager.email }).locator(".access-badges")).toContainText("Project Manager");
  await expect(seeing.filter({ hasText: contributor.email })).toContainText("On the vault's list");
  await snap(contributorPage, "vault-who-has-access-1280");
  await auditAccessibility(contributorPage, "who has access, on the vault page");
  expect(managerErrors).toEqual([]);
  expect(contributorErrors).toEqual([]);
});
