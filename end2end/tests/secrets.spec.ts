import { expect, test } from "@playwright/test";
import { ADMIN, inviteAndJoin, openProject, signIn, snap, waitForHydration, watchConsole } from "../helpers";

// A secret's life in the UI: create, reveal, new version, history, restore, disable, and a
// Read-only member who sees metadata but never the value.
test("create, reveal, version, restore and disable a secret; Read-only sees no value", async ({ page, browser }) => {
  const errors = watchConsole(page);
  await openProject(page, "Payments");
  await page.getByText("New vault").click();
  await page.getByLabel("Name", { exact: true }).fill("staging");
  await page.getByRole("button", { name: "Create vault" }).click();
  await expect(page.getByRole("heading", { name: "staging" })).toBeVisible();
  const vaultUrl = page.url();
  await expect(page.getByText("No secrets yet")).toBeVisible();

  // Bad input is refused beside the field.
  await page.getByRole("button", { name: "New secret" }).click();
  await page.getByLabel("Name", { exact: true }).fill("bad name");
  await page.getByLabel("Value", { exact: true }).fill("x");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page.locator("#field-name-error")).toContainText("Use only letters");

  await page.getByLabel("Name", { exact: true }).fill("DB_PASSWORD");
  await page.getByLabel("Value", { exact: true }).fill("s3cr3t-one");
  await page.getByLabel("Tags").fill("db, prod");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page.getByRole("heading", { name: /DB_PASSWORD/ })).toBeVisible();
  const secretUrl = page.url();
  const value = page.getByLabel("Secret value");
  await expect(value).toHaveText("••••••••••••");
  await page.getByRole("button", { name: "Reveal", exact: true }).click();
  await expect(value).toHaveText("s3cr3t-one");
  await page.getByRole("button", { name: "Hide" }).click();
  await expect(value).toHaveText("••••••••••••");

  // New version opens on demand, in a sheet that closes once saved.
  await page.getByRole("button", { name: "New version" }).click();
  const sheet = page.getByRole("dialog", { name: "New version" });
  await sheet.getByLabel("New value").fill("s3cr3t-two");
  await sheet.getByLabel("Note").fill("rotated");
  await sheet.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByRole("status")).toContainText("Version 2 saved");
  await expect(sheet).toBeHidden();
  await expect(page.getByRole("row").filter({ hasText: "rotated" })).toContainText("2 (current)");
  // An old version's value opens in its own row, right where it was asked for.
  await page.getByRole("button", { name: "Reveal version 1" }).click();
  await expect(page.getByLabel("Value of version 1")).toHaveText("s3cr3t-one");
  await expect(page.getByLabel("Value of version 1")).toBeInViewport();
  await expect(value).toHaveText("••••••••••••");
  await snap(page, "secret-1280");
  await page.getByRole("button", { name: "Hide version 1" }).click();
  await expect(page.getByLabel("Value of version 1")).toHaveCount(0);

  await page.getByRole("button", { name: "Restore version 1" }).click();
  await expect(page.getByRole("dialog")).toContainText("creates version 3");
  await page.getByRole("dialog").getByRole("button", { name: "Restore" }).click();
  await expect(page.getByRole("status")).toContainText("Restored as version 3");
  await expect(page.getByRole("row").filter({ hasText: "restored from version 1" })).toContainText("3 (current)");
  await page.getByRole("button", { name: "Reveal", exact: true }).click();
  await expect(value).toHaveText("s3cr3t-one");

  // Compare two versions: a line diff, shown only to those who may reveal.
  await page.getByLabel("From", { exact: true }).selectOption("1");
  await page.getByLabel("To", { exact: true }).selectOption("2");
  await page.getByRole("button", { name: "Compare" }).click();
  const diff = page.getByLabel("Differences");
  await expect(diff).toContainText("- s3cr3t-one");
  await expect(diff).toContainText("+ s3cr3t-two");

  // Details change without a new version.
  await page.getByRole("button", { name: "Edit details" }).click();
  await page.getByRole("dialog", { name: "Edit details" }).getByLabel("Description", { exact: true }).fill("Main database password");
  await page.getByRole("button", { name: "Save details" }).click();
  await expect(page.getByRole("status")).toContainText("Details saved");
  await expect(page.getByText("Main database password").first()).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "restored from version 1" })).toContainText("3 (current)");

  await page.getByRole("button", { name: "Disable…" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disable" }).click();
  await expect(page.locator("h1 .badge")).toHaveText("Disabled");

  await page.goto(vaultUrl);
  await waitForHydration(page);
  const row = page.getByRole("row").filter({ hasText: "DB_PASSWORD" });
  await expect(row).toContainText("Disabled");
  await expect(row).toContainText("3");
  await expect(row).toContainText("Never");
  await page.getByLabel("Status").selectOption("active");
  await expect(row).toBeHidden();
  await snap(page, "secrets-1280");

  // A Read-only member sees the secret's details but no value and no controls.
  const stamp = Date.now();
  const reader = { name: "Secret Reader", email: `reader.secrets.${stamp}@example.com`, password: "the reader's long passphrase" };
  const readerPage = await inviteAndJoin(page, browser, reader);
  await page.goto("/projects");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Payments" }).click();
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Members" }).click();
  await page.getByLabel("User", { exact: true }).selectOption({ label: `${reader.name} <${reader.email}>` });
  await page.getByLabel("Role", { exact: true }).selectOption("read_only");
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("row").filter({ hasText: reader.email })).toBeVisible();
  await readerPage.goto(secretUrl);
  await waitForHydration(readerPage);
  await expect(readerPage.getByText("Your role shows this secret's details, not its value.")).toBeVisible();
  await expect(readerPage.getByRole("button", { name: "Reveal", exact: true })).toHaveCount(0);
  await expect(readerPage.getByRole("button", { name: "New version" })).toHaveCount(0);
  await readerPage.goto(vaultUrl);
  await waitForHydration(readerPage);
  await expect(readerPage.getByRole("row").filter({ hasText: "DB_PASSWORD" })).toBeVisible();
  await expect(readerPage.getByRole("button", { name: /^Copy value/ })).toHaveCount(0);
  expect(errors).toEqual([]);
});

// Import a .env with one bad line (preview first, then confirm), page and sort the table,
// export the vault, and meet the stale-save warning from a second tab.
test("import a .env with a bad line, export it, and a stale save asks first", async ({ page, context }) => {
  const errors = watchConsole(page);
  await openProject(page, "Payments");
  await page.getByText("New vault").click();
  await page.getByLabel("Name", { exact: true }).fill("imports");
  await page.getByRole("button", { name: "Create vault" }).click();
  await expect(page.getByRole("heading", { name: "imports" })).toBeVisible();

  const lines = ["# generated", "API_TOKEN=tok-123", "not a line", 'MULTI="first\\nsecond"'];
  for (let i = 0; i < 55; i++) lines.push(`BULK_${String(i).padStart(2, "0")}=value-${i}`);
  await page.getByRole("button", { name: "Import .env" }).click();
  await page.getByLabel("Lines").fill(lines.join("\n"));
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByRole("table", { name: "Import preview" });
  await expect(preview.getByRole("row").filter({ hasText: "API_TOKEN" })).toContainText("New secret");
  await expect(preview.getByRole("row").filter({ has: page.getByRole("cell", { name: "3", exact: true }) })).toContainText(
    "Expected NAME=value",
  );
  await snap(page, "import-preview-1280");
  await page.getByRole("button", { name: "Import 57 secret(s)" }).click();
  await expect(page.getByRole("status")).toContainText("Imported 57 secret(s)");
  await expect(page.getByRole("dialog", { name: "Import .env" })).toBeHidden();

  // 57 secrets: two pages, sortable, filterable.
  await expect(page.getByText("57 of 57 secrets")).toBeVisible();
  await expect(page.getByText("Page 1 of 2")).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Page 2 of 2")).toBeVisible();
  await expect(page.getByRole("link", { name: "MULTI" })).toBeVisible();
  await page.getByRole("button", { name: /^Name/ }).click();
  await expect(page.getByText("Page 1 of 2")).toBeVisible();
  await expect(page.locator("th[aria-sort=ascending]")).toHaveCount(0);
  await expect(page.locator("th[aria-sort=descending]")).toContainText("Name");
  await expect(page.locator("tbody tr").first()).toContainText("MULTI");
  await page.getByLabel("Filter by name or tag").fill("api_");
  await expect(page.getByText("1 of 57 secrets")).toBeVisible();
  await snap(page, "secrets-paged-1280");

  // The value, straight from the list: one click, and the copy is on the record.
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.getByRole("button", { name: "Copy value of API_TOKEN" }).click();
  await expect(page.getByRole("status")).toContainText("Value copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("tok-123");

  // Export: a .env download that reads back the imported values.
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export .env" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("imports.env");
  const body = (await import("node:fs")).readFileSync((await file.path()) as string, "utf8");
  expect(body).toContain("API_TOKEN='tok-123'");
  expect(body).toContain("MULTI='first\nsecond'");

  // A stale page: another tab saves version 2 first; this one is warned and chooses.
  await page.getByRole("link", { name: "API_TOKEN" }).click();
  await expect(page.getByRole("heading", { name: /API_TOKEN/ })).toBeVisible();
  await waitForHydration(page);
  const other = await context.newPage();
  await other.goto(page.url());
  await waitForHydration(other);
  await other.getByRole("button", { name: "New version" }).click();
  await other.getByLabel("New value").fill("from-the-other-tab");
  await other.getByRole("button", { name: "Save new version" }).click();
  await expect(other.getByRole("status")).toContainText("Version 2 saved");
  await page.getByRole("button", { name: "New version" }).click();
  await page.getByLabel("New value").fill("from-the-stale-tab");
  await page.getByRole("button", { name: "Save new version" }).click();
  const warning = page.getByRole("alert").filter({ hasText: "saved a newer version" });
  await expect(warning).toBeVisible();
  await snap(page, "stale-warning-1280");
  await warning.getByRole("button", { name: "Save anyway" }).click();
  await expect(page.getByRole("status")).toContainText("Version 3 saved");
  await page.getByRole("button", { name: "Reveal", exact: true }).click();
  await expect(page.getByLabel("Secret value")).toHaveText("from-the-stale-tab");
  expect(errors).toEqual([]);
});

// One click on an empty box must not blank a live secret: the server refuses, and the page
// offers a box to tick for an empty value on purpose.
test("an empty value is refused until the person confirms it", async ({ page }) => {
  const errors = watchConsole(page);
  await openProject(page, "Payments");
  await page.getByText("New vault").click();
  await page.getByLabel("Name", { exact: true }).fill("empties");
  await page.getByRole("button", { name: "Create vault" }).click();
  await expect(page.getByRole("heading", { name: "empties" })).toBeVisible();

  await page.getByRole("button", { name: "New secret" }).click();
  await page.getByLabel("Name", { exact: true }).fill("LIVE_TOKEN");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page.locator("#field-value-error")).toContainText("The value is empty");
  await page.getByRole("textbox", { name: "Value" }).fill("live-1");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page.getByRole("heading", { name: /LIVE_TOKEN/ })).toBeVisible();
  await waitForHydration(page);

  await page.getByRole("button", { name: "New version" }).click();
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.locator("#field-new-value-error")).toContainText("The value is empty");
  const confirm = page.getByLabel("Save an empty value on purpose");
  await expect(confirm).toBeVisible();
  await snap(page, "empty-value-refused-1280");
  await page.getByRole("dialog", { name: "New version" }).getByRole("button", { name: "Close" }).click();
  await page.getByRole("button", { name: "Reveal", exact: true }).click();
  await expect(page.getByLabel("Secret value")).toHaveText("live-1");
  await expect(page.getByRole("row").filter({ hasText: "(current)" })).toContainText("1 (current)");

  await page.getByRole("button", { name: "New version" }).click();
  await page.getByRole("button", { name: "Save new version" }).click();
  await confirm.check();
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByRole("status")).toContainText("Version 2 saved");
  await page.getByRole("button", { name: "Reveal", exact: true }).click();
  await expect(page.getByLabel("Secret value")).toHaveText("");
  expect(errors).toEqual([]);
});

// Over plain http on a name that is not localhost, browsers offer no clipboard API; Copy must
// still copy (through a selected text box) and say so.
test("Copy works on a plain-http origin that is not localhost", async ({ page }) => {
  await openProject(page, "Payments");
  await page.getByRole("link", { name: "empties" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "New secret" }).click();
  await page.getByLabel("Name", { exact: true }).fill("COPY_ME");
  await page.getByLabel("Value", { exact: true }).fill("copied-through-a-selection");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page.getByRole("heading", { name: /COPY_ME/ })).toBeVisible();
  const secretPath = new URL(page.url()).pathname;

  const base = new URL(test.info().project.use.baseURL as string);
  const { chromium } = await import("@playwright/test");
  const launch = test.info().project.use.launchOptions ?? {};
  const lan = await chromium.launch({
    ...launch,
    args: [...(launch.args ?? []), `--host-resolver-rules=MAP secryn-lan.test ${base.hostname}`],
  });
  try {
    const origin = `http://secryn-lan.test:${base.port}`;
    const ctx = await lan.newContext({ baseURL: origin });
    const p = await ctx.newPage();
    await signIn(p, ADMIN.email, ADMIN.password);
    await expect(p.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
    expect(await p.evaluate(() => window.isSecureContext)).toBe(false);
    await p.goto(secretPath);
    await waitForHydration(p);
    await p.getByRole("button", { name: "Copy", exact: true }).click();
    await expect(p.getByRole("status")).toContainText("Value copied to the clipboard.");

    // What landed on the clipboard, read back where reading is allowed (a secure origin).
    const reader = await lan.newContext({ baseURL: base.origin });
    await reader.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base.origin });
    const r = await reader.newPage();
    await r.goto("/healthz");
    expect(await r.evaluate(() => navigator.clipboard.readText())).toBe("copied-through-a-selection");
    await ctx.close();
    await reader.close();
  } finally {
    await lan.close();
  }
});
