import { expect, test } from "@playwright/test";
import { openProjectsAsAdmin, snap, waitForHydration, watchConsole } from "../helpers";

// An access key's life: created in the UI (shown once, with its snippet), used by a machine
// against the REST API, revoked with a confirmation, refused on the very next call.
test("create an access key, read a secret with it, revoke it: the next call is 401", async ({ page, request, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const errors = watchConsole(page);
  await openProjectsAsAdmin(page);
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Machines");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
  await page.getByText("New vault").click();
  await page.getByLabel("Name", { exact: true }).fill("machines");
  await page.getByRole("button", { name: "Create vault" }).click();
  await page.waitForURL(/\/vaults\/[0-9a-f-]+$/);
  await expect(page.getByRole("heading", { name: "machines", exact: true })).toBeVisible();
  const vaultId = page.url().split("/vaults/")[1].split("/")[0];
  await page.getByText("New secret", { exact: true }).click();
  await page.getByLabel("Name", { exact: true }).fill("DEPLOY_TOKEN");
  await page.getByLabel("Value").fill("deploy-value-42");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page.getByRole("heading", { name: /DEPLOY_TOKEN/ })).toBeVisible();

  await page.goto(`/vaults/${vaultId}/access-keys`);
  await waitForHydration(page);
  await expect(page.getByText("No access keys yet")).toBeVisible();
  await page.getByText("New access key", { exact: true }).click();
  await page.getByRole("button", { name: "Create access key" }).click();
  await expect(page.locator("#field-name-error")).toContainText("Enter a name");
  await page.getByLabel("Name", { exact: true }).fill("CI deploy");
  await page.getByRole("button", { name: "Create access key" }).click();
  await expect(page.getByRole("heading", { name: "Copy the key now" })).toBeVisible();
  await page.getByRole("button", { name: "Copy key" }).click();
  await expect(page.getByRole("status")).toContainText("Access key copied");
  const key = await page.evaluate(() => navigator.clipboard.readText());
  expect(key).toMatch(/^secryn_ak_/);
  await expect(page.getByLabel("Snippet")).toContainText(`SECRYN_VAULT_ID=${vaultId}`);
  await expect(page.getByLabel("Snippet")).toContainText(`SECRYN_ACCESS_KEY=${key}`);
  await expect(page.getByLabel("Snippet")).toContainText("/api");
  await snap(page, "access-key-created-1280");

  const url = `/api/v1/vaults/${vaultId}/secrets/DEPLOY_TOKEN`;
  const ok = await request.get(url, { headers: { Authorization: `Bearer ${key}`, Accept: "application/json" } });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).value).toBe("deploy-value-42");

  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("heading", { name: "Copy the key now" })).toBeHidden();
  await page.reload();
  await waitForHydration(page);
  const row = page.getByRole("row").filter({ hasText: "CI deploy" });
  await expect(row).toContainText("Active");
  await expect(row).not.toContainText("Not yet");
  await row.getByRole("button", { name: "Revoke CI deploy" }).click();
  await expect(page.getByRole("dialog")).toContainText("very next request");
  await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("status")).toContainText("Access key revoked");
  await expect(row).toContainText("Revoked");
  await snap(page, "access-keys-1280");

  const refused = await request.get(url, { headers: { Authorization: `Bearer ${key}` } });
  expect(refused.status()).toBe(401);
  expect(refused.headers()["www-authenticate"]).toBe("Bearer");
  expect((await refused.json()).error).toBe("unauthorized");
  expect(errors).toEqual([]);
});
