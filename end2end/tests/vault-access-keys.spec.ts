import { expect, type Locator, type Page, test } from "@playwright/test";
import { auditAccessibility, openVault, snap, waitForHydration, watchConsole } from "../helpers";

/** The vault's id, from the vault page's URL. */
function vaultIdOf(page: Page): string {
  return page.url().split("/vaults/")[1].split("/")[0];
}

/** Opens the vault's Access keys tab, hydrated. */
async function openAccessKeys(page: Page, vaultId: string): Promise<void> {
  await page.goto(`/vaults/${vaultId}/access-keys`);
  await waitForHydration(page);
}

/** Opens the "New access key" sheet, creates key `name` and returns the sheet, showing the key. */
async function createKey(page: Page, name: string): Promise<Locator> {
  await page.getByRole("button", { name: "New access key" }).click();
  const sheet = page.getByRole("dialog", { name: "New access key" });
  await sheet.getByLabel("Name", { exact: true }).fill(name);
  await sheet.getByRole("button", { name: "Create access key" }).click();
  await expect(sheet.locator("#new-key")).toHaveText(/^secryn_ak_/);
  return sheet;
}

/** Fails unless `el` is wholly inside the viewport and shows all its text without scrolling. */
async function expectFullyVisible(page: Page, el: Locator): Promise<void> {
  const fits = await el.evaluate((e) => e.scrollWidth <= e.clientWidth);
  expect(fits, "no sideways scrolling").toBe(true);
  const box = await el.boundingBox();
  const viewport = page.viewportSize();
  expect(box).not.toBeNull();
  expect(viewport).not.toBeNull();
  if (!box || !viewport) return;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
  expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
}

// An access key's life: created in its sheet (shown once, with snippets to paste), used by a
// machine against the REST API, revoked with a confirmation, refused on the very next call.
test("create an access key, read a secret with it, revoke it: the next call is 401", async ({ page, request, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const errors = watchConsole(page);
  await openVault(page, "Machines", "machines");
  const vaultId = vaultIdOf(page);
  await page.getByRole("button", { name: "New secret" }).click();
  await page.getByLabel("Name", { exact: true }).fill("DEPLOY_TOKEN");
  await page.getByLabel("Value", { exact: true }).fill("deploy-value-42");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page.getByRole("heading", { name: /DEPLOY_TOKEN/ })).toBeVisible();

  await openAccessKeys(page, vaultId);
  await expect(page.getByText("No access keys yet")).toBeVisible();
  await page.getByRole("button", { name: "New access key" }).click();
  const sheet = page.getByRole("dialog", { name: "New access key" });
  await expect(sheet).toBeVisible();
  await sheet.getByRole("button", { name: "Create access key" }).click();
  await expect(sheet.locator("#field-name-error")).toContainText("Enter a name");
  await sheet.getByLabel("Name", { exact: true }).fill("CI deploy");
  await sheet.getByRole("button", { name: "Create access key" }).click();

  // The hand-off replaces the form: the key once, and nothing left to submit twice.
  await expect(sheet.getByRole("note")).toContainText("only time the full key is shown");
  await expect(sheet.getByRole("button", { name: "Create access key" })).toHaveCount(0);
  await expect(sheet.getByLabel("Name", { exact: true })).toHaveCount(0);
  const key = (await sheet.locator("#new-key").textContent()) ?? "";
  expect(key).toMatch(/^secryn_ak_[A-Za-z0-9_-]{49}$/);
  await sheet.getByRole("button", { name: "Copy key" }).click();
  await expect(page.getByRole("status")).toContainText("Access key copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

  // Snippets: the shell one carries the key, the GitHub Actions step reads a repository secret.
  const shell = sheet.locator("#snippet-shell pre");
  await expect(sheet.getByRole("button", { name: "Shell" })).toHaveAttribute("aria-pressed", "true");
  await expect(shell).toContainText(`export SECRYN_VAULT_ID=${vaultId}`);
  await expect(shell).toContainText(`export SECRYN_ACCESS_KEY=${key}`);
  await expect(shell).toContainText(/export SECRYN_BASE_URL=http\S+\/api\n/);
  await expect(shell).toContainText("$SECRYN_BASE_URL/v1/vaults/$SECRYN_VAULT_ID/secrets/");
  await expect(shell).toContainText('Authorization: Bearer $SECRYN_ACCESS_KEY');
  await sheet.getByRole("button", { name: "GitHub Actions" }).click();
  await expect(sheet.getByRole("button", { name: "GitHub Actions" })).toHaveAttribute("aria-pressed", "true");
  await expect(sheet.getByRole("button", { name: "Shell" })).toHaveAttribute("aria-pressed", "false");
  await expect(shell).toBeHidden();
  const actions = sheet.locator("#snippet-github-actions pre");
  await expect(actions).toBeVisible();
  await expect(actions).toContainText("SECRYN_ACCESS_KEY: ${{ secrets.SECRYN_ACCESS_KEY }}");
  await expect(actions).toContainText(vaultId);
  await expect(actions).not.toContainText(key);
  await expect(actions).not.toContainText("secryn_ak_");
  await sheet.getByRole("button", { name: "Copy snippet" }).click();
  await expect(page.getByRole("status")).toContainText("Snippet copied");
  const copiedStep = await page.evaluate(() => navigator.clipboard.readText());
  expect(copiedStep).toContain("${{ secrets.SECRYN_ACCESS_KEY }}");
  expect(copiedStep).not.toContain(key);
  await sheet.getByRole("button", { name: ".env file" }).click();
  await expect(sheet.locator("#snippet-env pre")).toContainText(`SECRYN_ACCESS_KEY=${key}`);
  await auditAccessibility(page, "access key hand-off (1280 px)");
  await snap(page, "access-key-created-1280");

  // The key really reads the secret.
  const url = `/api/v1/vaults/${vaultId}/secrets/DEPLOY_TOKEN`;
  const ok = await request.get(url, { headers: { Authorization: `Bearer ${key}`, Accept: "application/json" } });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).value).toBe("deploy-value-42");

  // Done forgets the key; the list shows the new key; the next opening is an empty form.
  await sheet.getByRole("button", { name: "Done" }).click();
  await expect(sheet).toBeHidden();
  await expect(page.locator("#new-key")).toHaveCount(0);
  await expect(page.getByText(key)).toHaveCount(0);
  const row = page.getByRole("row").filter({ hasText: "CI deploy" });
  await expect(row).toContainText("Active");
  await page.getByRole("button", { name: "New access key" }).click();
  await expect(sheet.getByLabel("Name", { exact: true })).toHaveValue("");
  await expect(sheet.locator("#field-name-error")).toBeEmpty();
  await expect(sheet.getByRole("button", { name: "Create access key" })).toBeEnabled();
  await expect(sheet.locator("#new-key")).toHaveCount(0);
  await sheet.getByRole("button", { name: "Close" }).click();
  await expect(sheet).toBeHidden();

  // Revoke: a quiet button in the table, a red confirmation in the dialog.
  await page.reload();
  await waitForHydration(page);
  await expect(row).not.toContainText("Not yet");
  const revokeButton = row.getByRole("button", { name: "Revoke CI deploy" });
  await expect(revokeButton).not.toHaveClass(/(^|\s)danger(\s|$)/);
  await revokeButton.click();
  const confirm = page.getByRole("dialog", { name: /Revoke/ });
  await expect(confirm).toContainText("very next request");
  await expect(confirm.getByRole("button", { name: "Revoke" })).toHaveClass(/(^|\s)danger(\s|$)/);
  await confirm.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("status")).toContainText("Access key revoked");
  await expect(row).toContainText("Revoked");
  await snap(page, "access-keys-1280");

  const refused = await request.get(url, { headers: { Authorization: `Bearer ${key}` } });
  expect(refused.status()).toBe(401);
  expect(refused.headers()["www-authenticate"]).toBe("Bearer");
  expect((await refused.json()).error).toBe("unauthorized");
  expect(errors).toEqual([]);
});

test.describe("at 390 px", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("the new key and its snippets wrap inside the screen, and the list fits", async ({ page }) => {
    const errors = watchConsole(page);
    await openVault(page, "Machines", "machines-390");
    await openAccessKeys(page, vaultIdOf(page));
    const sheet = await createKey(page, "Phone deploy");
    const keyBlock = sheet.locator("#new-key");
    await keyBlock.scrollIntoViewIfNeeded();
    await expectFullyVisible(page, keyBlock);
    for (const label of ["Shell", "GitHub Actions", ".env file"]) {
      await sheet.getByRole("button", { name: label }).click();
      const pre = sheet.locator("figure[id^='snippet-']:not([hidden]) pre");
      await expect(pre).toHaveCount(1);
      expect(await pre.evaluate((e) => e.scrollWidth <= e.clientWidth), `${label} snippet wraps`).toBe(true);
    }
    await auditAccessibility(page, "access key hand-off (390 px)");
    await snap(page, "access-key-created-390");
    await sheet.getByRole("button", { name: "Done" }).click();
    await expect(sheet).toBeHidden();

    const row = page.getByRole("row").filter({ hasText: "Phone deploy" });
    await expect(row).toContainText("Active");
    const revoke = row.getByRole("button", { name: "Revoke Phone deploy" });
    await revoke.scrollIntoViewIfNeeded();
    await expect(revoke).toBeInViewport({ ratio: 1 });
    const pageFits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(pageFits, "the page does not scroll sideways").toBe(true);
    const tableFits = await page.locator(".table-wrap").evaluate((e) => e.scrollWidth <= e.clientWidth);
    expect(tableFits, "the table does not scroll sideways").toBe(true);
    await snap(page, "access-keys-390");
    expect(errors).toEqual([]);
  });
});
