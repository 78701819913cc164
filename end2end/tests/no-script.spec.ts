import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, expect, type Page, test } from "@playwright/test";
import { ADMIN, createInvitation, openVault, signIn, waitForHydration } from "../helpers";

// Runs in the `no-script` project: JavaScript is off, so every page below is the server's HTML
// alone. Read pages show their content, and sign-in, setup, accepting an invitation and
// resetting a password work as plain form posts (errors come back beside the form).

const stamp = Date.now();

/** A signed-in Admin in a browser with JavaScript on, to make what the no-script pages read. */
async function adminPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext({ javaScriptEnabled: true })).newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  return page;
}

/** Signs in with the plain form (no script). */
async function postSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("sign-in is a plain form post; a refused one says why on the sign-in page", async ({ page }) => {
  await postSignIn(page, `nobody.${stamp}@example.com`, "not the password at all");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("alert")).not.toBeEmpty();
  await expect(page.locator("body[data-hydrated]")).toHaveCount(0);

  await postSignIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
});

test("read pages arrive rendered without JavaScript", async ({ page, browser }) => {
  // openVault signs the Admin in itself.
  const admin = await (await browser.newContext({ javaScriptEnabled: true })).newPage();
  const project = `NoScript ${stamp}`;
  await openVault(admin, project, "plain");
  const vaultPath = new URL(admin.url()).pathname;
  await admin.getByRole("button", { name: "New secret" }).click();
  await admin.getByLabel("Name", { exact: true }).fill("RENDERED_ON_THE_SERVER");
  await admin.getByLabel("Value", { exact: true }).fill("never-in-the-html");
  await admin.getByRole("button", { name: "Create secret" }).click();
  await expect(admin.getByRole("heading", { name: /RENDERED_ON_THE_SERVER/ })).toBeVisible();
  const secretPath = new URL(admin.url()).pathname;
  await admin.goto(`${vaultPath}/keys`);
  await waitForHydration(admin);
  await admin.getByRole("button", { name: "New key" }).click();
  await admin.getByLabel("Name", { exact: true }).fill("server-rendered-key");
  await admin.getByRole("button", { name: "Generate key" }).click();
  await expect(admin.getByRole("heading", { name: /server-rendered-key/ })).toBeVisible();
  const keyPath = new URL(admin.url()).pathname;
  await admin.goto(`${vaultPath}/certificates`);
  await waitForHydration(admin);
  await admin.getByRole("button", { name: "New self-signed" }).click();
  await admin.getByLabel("Name", { exact: true }).fill("server-rendered-cert");
  await admin.getByLabel("Common name").fill("rendered.example.test");
  await admin.getByRole("button", { name: "Create certificate" }).click();
  await expect(admin.getByRole("heading", { name: /server-rendered-cert/ })).toBeVisible();
  const certPath = new URL(admin.url()).pathname;
  const projectPath = await admin
    .getByRole("navigation", { name: "Breadcrumb" })
    .getByRole("link", { name: project, exact: true })
    .getAttribute("href");

  await postSignIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  const pages: [string, (p: Page) => Promise<void>][] = [
    ["/projects", (p) => expect(p.getByRole("link", { name: project, exact: true })).toBeVisible()],
    [`${projectPath}`, (p) => expect(p.getByRole("link", { name: "plain", exact: true })).toBeVisible()],
    [`${projectPath}/members`, (p) => expect(p.getByRole("row").filter({ hasText: ADMIN.email })).toBeVisible()],
    [`${projectPath}/settings`, (p) => expect(p.getByLabel("Name", { exact: true })).toHaveValue(project)],
    [vaultPath, (p) => expect(p.getByRole("link", { name: "RENDERED_ON_THE_SERVER" })).toBeVisible()],
    [`${vaultPath}/keys`, (p) => expect(p.getByRole("link", { name: "server-rendered-key" })).toBeVisible()],
    [keyPath, (p) => expect(p.locator("#public-pem")).toContainText("-----BEGIN PUBLIC KEY-----")],
    [`${vaultPath}/certificates`, (p) => expect(p.getByRole("link", { name: "server-rendered-cert" })).toBeVisible()],
    [certPath, (p) => expect(p.locator("#chain-pem")).toContainText("-----BEGIN CERTIFICATE-----")],
    [`${vaultPath}/access-keys`, (p) => expect(p.getByText("No access keys yet")).toBeVisible()],
    [`${vaultPath}/settings`, (p) => expect(p.getByLabel("Name", { exact: true })).toHaveValue("plain")],
    [secretPath, (p) => expect(p.getByRole("heading", { name: "Version history" })).toBeVisible()],
    ["/admin/users", (p) => expect(p.getByRole("row").filter({ hasText: ADMIN.email })).toBeVisible()],
    ["/admin/logs/audit", (p) => expect(p.locator("table.log-table")).toContainText("RENDERED_ON_THE_SERVER")],
    ["/admin/logs/requests", (p) => expect(p.getByLabel("Status", { exact: true })).toBeVisible()],
    ["/admin/logs/users", (p) => expect(p.getByRole("row").filter({ hasText: ADMIN.email }).first()).toBeVisible()],
    ["/profile", (p) => expect(p.locator("dl.facts")).toContainText(ADMIN.email)],
    ["/notifications", (p) => expect(p.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible()],
    ["/support", (p) => expect(p.getByRole("heading", { level: 1, name: "Support" })).toBeVisible()],
    ["/admin/settings", (p) => expect(p.locator("#mail-status")).toBeVisible()],
  ];
  for (const [path, check] of pages) {
    const res = await page.goto(path);
    expect(res?.status(), path).toBe(200);
    await check(page);
    await expect(page.getByText("Loading…")).toHaveCount(0);
  }
  // The current tab is marked in the server's HTML too.
  await page.goto(`${vaultPath}/access-keys`);
  await expect(page.getByRole("navigation", { name: "Vault sections" }).getByRole("link", { name: "Access keys" })).toHaveAttribute(
    "aria-current",
    "page",
  );
  // The log filter is a plain GET form: the filtered page comes from the server, times in UTC,
  // and /admin/logs leads to the Audit tab.
  await page.goto("/admin/logs");
  await expect(page).toHaveURL(/\/admin\/logs\/audit$/);
  await expect(page.getByText("Times are in UTC.")).toBeVisible();
  await page.getByLabel("Resource", { exact: true }).fill("server-rendered-key");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/resource=server-rendered-key/);
  const logged = page.locator("table.log-table tbody tr");
  await expect(logged.first()).toContainText("key.");
  for (const row of await logged.all()) await expect(row).toContainText("server-rendered-key");
  await expect(page.getByRole("link", { name: "Export CSV" })).toHaveAttribute("href", "/admin/logs/audit/export.csv?resource=server-rendered-key");
  await expect(page.getByRole("navigation", { name: "Logs" }).getByRole("link", { name: "Audit" })).toHaveAttribute("aria-current", "page");
  // The value itself is never in a page's HTML: it is asked for when someone reveals it.
  await page.goto(secretPath);
  expect(await page.content()).not.toContain("never-in-the-html");
  // Nor is a private key: the key page carries the public half only.
  await page.goto(keyPath);
  expect(await page.content()).not.toContain("PRIVATE KEY");
  // Nor a certificate's: its page carries the chain only.
  await page.goto(certPath);
  expect(await page.content()).not.toContain("PRIVATE KEY");
  await admin.context().close();
});

test("accepting an invitation and resetting a password are plain form posts", async ({ page, browser }) => {
  const admin = await adminPage(browser);
  const person = { name: "Invitee Without Script", email: `invitee.${stamp}@example.com`, password: "the invitee's first passphrase" };
  const invite = await createInvitation(admin, person);

  // A mismatch is refused beside the field, then the invitation is accepted.
  await page.goto(invite);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByLabel("Repeat password").fill("something else entirely");
  await page.getByRole("button", { name: "Accept and sign in" }).click();
  await expect(page.locator("#field-password_confirm-error")).not.toBeEmpty();
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByLabel("Repeat password").fill(person.password);
  await page.getByRole("button", { name: "Accept and sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.name}` })).toBeVisible();

  await admin.goto("/admin/users");
  await waitForHydration(admin);
  await admin
    .getByRole("row")
    .filter({ hasText: person.email })
    .getByRole("button", { name: `Reset link: ${person.name}` })
    .click();
  const reset = await admin.getByLabel("Link to send").inputValue();
  const newPassword = "the invitee's second passphrase";
  await page.goto(reset);
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Repeat new password").fill(newPassword);
  await page.getByRole("button", { name: "Save new password" }).click();
  await expect(page).toHaveURL(/\/login\?reset=done$/);
  await expect(page.getByText("Your new password is set")).toBeVisible();
  await postSignIn(page, person.email, newPassword);
  await expect(page.getByRole("heading", { name: `Welcome, ${person.name}` })).toBeVisible();
  await admin.context().close();
});

/** Starts a second, fresh Secryn (SQLite in a temporary folder) and waits for its setup code. */
async function freshInstance(port: number): Promise<{ proc: ChildProcess; code: string; dir: string }> {
  const root = resolve(__dirname, "../..");
  const dir = mkdtempSync(join(tmpdir(), "secryn-no-script-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SECRYN_DATA_DIR: dir,
    SECRYN_LISTEN: `127.0.0.1:${port}`,
    SECRYN_SITE_ROOT: process.env.SECRYN_E2E_SITE ?? join(root, "target/site"),
    SECRYN_LOG: "warn",
  };
  delete env.SECRYN_DATABASE_URL;
  const proc = spawn(process.env.SECRYN_E2E_BIN ?? join(root, "target/release/secryn"), ["serve"], { env });
  const code = await new Promise<string>((done, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`no setup code within 30 s:\n${out}`)), 30_000);
    proc.stdout?.on("data", (chunk) => {
      out += String(chunk);
      const m = out.match(/Setup code: ([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})/);
      if (m && out.includes("Secryn is running at")) {
        clearTimeout(timer);
        done(m[1]);
      }
    });
    proc.on("exit", (status) => fail(new Error(`the server exited (${status}):\n${out}`)));
  });
  return { proc, code, dir };
}

test("setup is a plain form post: a wrong code is refused beside the field, the right one creates the Admin", async ({ page }) => {
  const port = Number(new URL(test.info().project.use.baseURL as string).port) + 77;
  const { proc, code, dir } = await freshInstance(port);
  try {
    const base = `http://127.0.0.1:${port}`;
    await page.goto(`${base}/setup`);
    const fill = async (setupCode: string) => {
      await page.getByLabel("Setup code").fill(setupCode);
      await page.getByLabel("Instance name").fill("No Script Inc");
      await page.getByLabel("Your name").fill("Fresh Admin");
      await page.getByLabel("E-mail").fill("fresh-admin@example.com");
      await page.getByLabel("Password", { exact: true }).fill("the fresh admin's long passphrase");
      await page.getByLabel("Repeat password").fill("the fresh admin's long passphrase");
      await page.getByRole("button", { name: "Create Admin and sign in" }).click();
    };
    await fill("AAAA-BBBB-CCCC-DDDD");
    await expect(page.locator("#field-code-error")).toContainText("setup code is not right");
    await fill(code);
    await expect(page.getByRole("heading", { name: "Welcome, Fresh Admin" })).toBeVisible();
    await expect(page.locator(".brand-name")).toHaveText("No Script Inc");
  } finally {
    proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
});
