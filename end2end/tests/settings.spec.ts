import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, type Page, test } from "@playwright/test";
import {
  ADMIN,
  auditAccessibility,
  createInvitation,
  fitsPhone,
  openProjectsAsAdmin,
  person,
  snap,
  waitForHydration,
  watchConsole,
} from "../helpers";

// Admin → Settings. The instance part checks each number beside its field and renames the
// instance. E-mail as an Admin sets it up: Admin → Settings takes a real SMTP server (aiosmtpd on
// loopback, storing what it receives in a Maildir), refuses a wrong port beside the field,
// sends a test e-mail, and then an invitation arrives by e-mail; its link opens the account
// in the invitee's own browser. E-mail is turned off again at the end, so other specs see the
// copy-the-link flow.

/** A real SMTP server on a free loopback port, and the messages it received. */
interface Sink {
  port: number;
  messages(): string[];
  stop(): void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function startSink(): Promise<Sink> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "secryn-smtp-"));
  const child: ChildProcess = spawn(
    "python3",
    ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", join(dir, "Maildir")],
    { stdio: "ignore" },
  );
  const messages = () => {
    const box = join(dir, "Maildir", "new");
    try {
      return readdirSync(box).map((f) => readFileSync(join(box, f), "utf8"));
    } catch {
      return [];
    }
  };
  // Up once it takes a connection.
  await expect(async () => {
    const { connect } = await import("node:net");
    await new Promise<void>((ok, fail) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.end();
        ok();
      });
      socket.on("error", fail);
    });
  }).toPass({ timeout: 15_000 });
  return {
    port,
    messages,
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The message sent to `to`, once it has arrived. */
async function mailTo(sink: Sink, to: string): Promise<string> {
  let found = "";
  await expect(async () => {
    found = sink.messages().find((m) => m.includes(`X-RcptTo: ${to}`)) ?? "";
    expect(found).not.toBe("");
  }).toPass({ timeout: 20_000 });
  return found;
}

/** The body's text with quoted-printable soft breaks undone. */
function bodyOf(message: string): string {
  return message.split(/\r?\n\r?\n/).slice(1).join("\n\n").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
}

async function openSettings(page: Page): Promise<void> {
  await page.goto("/admin/settings");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
}

async function saveSmtp(page: Page, host: string, port: string): Promise<void> {
  await page.getByLabel("SMTP host").fill(host);
  await page.getByLabel("Port", { exact: true }).fill(port);
  await page.getByLabel("Security").selectOption("none");
  await page.getByLabel("From address").fill("secryn@example.com");
  await page.getByRole("button", { name: "Save e-mail settings" }).click();
}

test("an Admin sets up e-mail, a test arrives, and an e-mailed invitation opens the account", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const sink = await startSink();
  const stamp = Date.now();
  try {
    await openProjectsAsAdmin(page);
    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
    await waitForHydration(page);
    await expect(page.locator("#mail-status")).toHaveText("E-mail is off: no SMTP server is set.");
    await expect(page.getByText("Nothing undelivered")).toBeVisible();

    // A wrong port is refused beside its field; nothing is saved.
    await saveSmtp(page, "127.0.0.1", "99999");
    await expect(page.locator("#field-port-error")).toHaveText("Enter a port between 1 and 65535.");
    await expect(page.locator("#mail-status")).toHaveText("E-mail is off: no SMTP server is set.");

    await saveSmtp(page, "127.0.0.1", String(sink.port));
    await expect(page.getByText("E-mail settings saved.")).toBeVisible();
    await expect(page.locator("#mail-status")).toContainText(`Sending through 127.0.0.1:${sink.port} as secryn@example.com`);

    await page.getByRole("button", { name: "Send test e-mail" }).click();
    await expect(page.getByText(`A test e-mail was sent to ${ADMIN.email}.`)).toBeVisible();
    const testMail = await mailTo(sink, ADMIN.email);
    expect(testMail).toMatch(/Subject: .*test e-mail/);
    await auditAccessibility(page, "settings");
    await snap(page, "settings-1280");

    // The invitation: shown once to the Admin and e-mailed to the invitee.
    const invitee = person("Mail Invitee", "mail.invitee", stamp);
    const shown = await createInvitation(page, invitee);
    await expect(page.locator("#issued-link-emailed")).toContainText(`Secryn is e-mailing this link to ${invitee.email}`);
    const letter = await mailTo(sink, invitee.email);
    expect(letter).toMatch(/Subject: You are invited to /);
    const link = bodyOf(letter).match(/http:\/\/\S+\/invite\/\S+/)?.[0] ?? "";
    expect(link).toBe(shown);

    const theirs = await (await browser.newContext()).newPage();
    await theirs.goto(link);
    await waitForHydration(theirs);
    await theirs.getByLabel("Password", { exact: true }).fill(invitee.password);
    await theirs.getByLabel("Repeat password").fill(invitee.password);
    await theirs.getByRole("button", { name: "Accept and sign in" }).click();
    await expect(theirs.getByRole("heading", { name: `Welcome, ${invitee.name}` })).toBeVisible();
  } finally {
    // E-mail off again, so the specs after this one copy links as before.
    await openSettings(page);
    await page.getByLabel("SMTP host").fill("");
    await page.getByRole("button", { name: "Save e-mail settings" }).click();
    await expect(page.locator("#mail-status")).toHaveText("E-mail is off: no SMTP server is set.");
    sink.stop();
  }
  expect(errors).toEqual([]);
});

test("an Admin renames the instance and sets session and lockout limits, checked beside each field", async ({ page }) => {
  const errors = watchConsole(page);
  await openProjectsAsAdmin(page);
  await openSettings(page);
  const before = await page.getByLabel("Instance name").inputValue();
  const save = page.getByRole("button", { name: "Save instance settings" });
  try {
    await page.getByLabel("Session idle timeout (minutes)").fill("1");
    await save.click();
    await expect(page.locator("#field-session_idle_minutes-error")).toHaveText("Enter 5 to 1440 minutes, or leave empty.");
    await page.getByLabel("Session idle timeout (minutes)").fill("600");
    await page.getByLabel("Session lifetime (hours)").fill("2");
    await save.click();
    await expect(page.locator("#field-session_absolute_hours-error")).toContainText("cannot end sooner than its idle timeout");

    // A valid save: empty fields go back to the server's defaults; the new name is in the top bar.
    await page.getByLabel("Session idle timeout (minutes)").fill("");
    await page.getByLabel("Session lifetime (hours)").fill("");
    await page.getByLabel("Instance name").fill(`${before} 2`);
    await save.click();
    await expect(page.getByText("Instance settings saved.")).toBeVisible();
    await openSettings(page);
    await expect(page.getByLabel("Session idle timeout (minutes)")).toHaveValue("60");
    await expect(page.getByLabel("Session lifetime (hours)")).toHaveValue("12");
    await page.goto("/projects");
    await expect(page.getByRole("banner").getByRole("link", { name: `${before} 2` })).toBeVisible();
  } finally {
    // The name back, for the specs after this one.
    await openSettings(page);
    await page.getByLabel("Instance name").fill(before);
    await save.click();
    await expect(page.getByText("Instance settings saved.")).toBeVisible();
  }
  expect(errors).toEqual([]);
});

test.describe("at 390 px", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("the settings page fits a phone", async ({ page }) => {
    await openProjectsAsAdmin(page);
    await openSettings(page);
    await fitsPhone(page, "settings");
    await snap(page, "settings-390");
  });
});
