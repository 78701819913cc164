import { expect, type Page, test } from "@playwright/test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN, fitsPhone, openProject, signIn, snap, waitForHydration, watchConsole } from "../helpers";

/** An age public key (X25519): scheduled runs seal their one-time keys to it. */
const RECIPIENT = "age1x7h7x57lwtq3n62gzx879zd7xtrazvxlg4cjweruwdreuvgwukfsrnydk5";

// Admin → Backups as an Admin meets it: a backup is made (its key shown once, the file
// downloaded), a project is made after it, a wrong key and a damaged file are refused beside
// their fields in the dry run, then the backup is checked and restored. Every session ends;
// the Admin signs in again and finds the instance as it was when the backup was made.
//
// The restore brings back this same instance (minus what came after the backup), so the
// specs that run after this one find everything they expect.

/** Opens Admin → Backups from the sidebar. */
async function openBackups(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Backups" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Backups" })).toBeVisible();
  await waitForHydration(page);
}

test("create a backup, then restore it and sign in again", async ({ page }) => {
  const errors = watchConsole(page);
  const stamp = Date.now();
  const before = `Backed up ${stamp}`;
  const after = `Made after the backup ${stamp}`;
  await openProject(page, before);
  await openBackups(page);
  await snap(page, "backups-1280");

  // The key is shown once, then the download uses it.
  await page.getByRole("button", { name: "Create backup" }).click();
  const sheet = page.getByRole("dialog", { name: "New backup" });
  const key = (await sheet.locator("#backup-key").textContent())?.trim() ?? "";
  expect(key).toMatch(/^secryn_bk_[A-Za-z0-9_-]{43}$/);
  await expect(sheet.getByText("This is the only time it is shown")).toBeVisible();
  await snap(page, "backup-key-1280");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    sheet.getByRole("button", { name: "Download backup" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^secryn-\d{8}-\d{4}\.secryn-backup$/);
  const file = await download.path();
  expect(await download.failure()).toBeNull();
  await sheet.getByRole("button", { name: "Done" }).click();
  await expect(sheet).toBeHidden();

  // Something made after the backup, which the restore takes away.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Name", { exact: true }).fill(after);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("heading", { name: after, exact: true })).toBeVisible();
  await openBackups(page);

  // Refusals, each beside its field; nothing changes.
  const form = page.locator("section", { has: page.getByRole("heading", { name: "Restore from a backup" }) });
  await form.getByLabel("Backup key").fill(`secryn_bk_${"A".repeat(43)}`);
  await form.getByLabel("Backup file").setInputFiles(file);
  await form.getByRole("button", { name: "Check backup" }).click();
  await expect(form.locator("#field-key-error")).toContainText("does not open this backup");
  await form.getByLabel("Backup file").setInputFiles({
    name: "notes.secryn-backup",
    mimeType: "application/octet-stream",
    buffer: Buffer.from("not a backup at all"),
  });
  await form.getByLabel("Backup key").fill(key);
  await form.getByRole("button", { name: "Check backup" }).click();
  await expect(form.locator("#field-file-error")).toContainText("not a Secryn backup");
  await expect(form.getByRole("button", { name: /Restore this backup/ })).toHaveCount(0);

  // The dry run says what the file holds; the restore asks first.
  await form.getByLabel("Backup file").setInputFiles(file);
  await form.getByRole("button", { name: "Check backup" }).click();
  const checked = form.locator("#backup-checked");
  await expect(checked).toContainText("The backup is intact and the key opens it.");
  await expect(checked.getByRole("row", { name: /projects/ })).toBeVisible();
  await snap(page, "backup-checked-1280");
  await form.getByRole("button", { name: "Restore this backup…" }).click();
  const confirm = page.getByRole("dialog", { name: "Replace the whole instance?" });
  await expect(confirm).toContainText("Every session ends, yours too");
  await snap(page, "backup-confirm-1280");
  await confirm.getByRole("button", { name: "Replace instance" }).click();

  // Signed out everywhere; sign in again and find the instance as it was.
  await page.waitForURL(/\/login\?restored=1/);
  await expect(page.locator("p.notice[role=status]")).toContainText("restored from a backup");
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await page.goto("/projects");
  await waitForHydration(page);
  await expect(page.getByRole("link", { name: before, exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: after, exact: true })).toHaveCount(0);

  // The audit log records both, the restore last in the restored chain.
  await page.goto("/admin/logs/audit?action=backup.restore");
  await waitForHydration(page);
  await expect(page.locator("table.log-table tbody tr").first()).toContainText("backup.restore");
  expect(errors).toEqual([]);
});

test("a schedule is checked beside its fields, runs now, and a failed run shows on every page", async ({ page }) => {
  const errors = watchConsole(page);
  const dir = mkdtempSync(join(tmpdir(), "secryn-e2e-backups-"));
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await waitForHydration(page);
  await openBackups(page);
  const section = page.locator("section", { has: page.getByRole("heading", { name: "Scheduled backups" }) });
  await expect(section.locator("#schedule-when")).toContainText("No schedule yet");

  await section.getByLabel("Frequency").selectOption("daily");
  await section.getByLabel("Time (UTC)").fill("02:30");
  await section.getByLabel("Directory on the server").fill(join(dir, "missing"));
  await section.getByLabel("Age public key").fill(RECIPIENT);
  await section.getByRole("button", { name: "Save schedule" }).click();
  await expect(section.locator("#field-directory-error")).toContainText("is not a directory on this server");
  await section.getByLabel("Directory on the server").fill(dir);
  await section.getByRole("button", { name: "Save schedule" }).click();
  await expect(section.locator("#schedule-when")).toContainText("Daily at 02:30 UTC; next run");
  await snap(page, "backup-schedule-1280");

  // "Run now": the backup and its sealed key land in the directory.
  await section.getByRole("button", { name: "Run now" }).click();
  await expect(section.locator("#schedule-last")).toContainText("wrote secryn-");
  const names = readdirSync(dir);
  expect(names.filter((n) => n.endsWith(".secryn-backup"))).toHaveLength(1);
  expect(names.filter((n) => n.endsWith(".secryn-backup.key.age"))).toHaveLength(1);

  // A run that cannot write is shown here and on every page, until one succeeds.
  rmSync(dir, { recursive: true });
  await section.getByRole("button", { name: "Run now" }).click();
  await expect(section.locator("#schedule-last")).toContainText("failed");
  await page.goto("/projects");
  const alert = page.getByRole("alert").filter({ hasText: "The scheduled backup of" });
  await expect(alert).toBeVisible();
  await snap(page, "backup-failed-alert-1280");
  await alert.getByRole("link", { name: "See Backups" }).click();
  await waitForHydration(page);
  mkdirSync(dir);
  await section.getByRole("button", { name: "Run now" }).click();
  await expect(section.locator("#schedule-last")).toContainText("wrote secryn-");
  // Off again, so the rest of the suite runs on a quiet instance.
  await section.getByLabel("Run scheduled backups").uncheck();
  await section.getByRole("button", { name: "Save schedule" }).click();
  await expect(section.locator("#schedule-when")).toContainText("Scheduled backups are off.");
  await page.goto("/projects");
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
  await expect(page.getByRole("alert").filter({ hasText: "The scheduled backup of" })).toHaveCount(0);
  rmSync(dir, { recursive: true });
  expect(errors).toEqual([]);
});

test.describe("at 390 px", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("the Backups page and its key fit a phone", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
    await page.goto("/admin/backups");
    await waitForHydration(page);
    await fitsPhone(page, "backups");
    await snap(page, "backups-390");
    await page.getByRole("button", { name: "Create backup" }).click();
    const sheet = page.getByRole("dialog", { name: "New backup" });
    await expect(sheet.locator("#backup-key")).toContainText("secryn_bk_");
    await fitsPhone(page, "backup key");
    await snap(page, "backup-key-390");
  });
});
