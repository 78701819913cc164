import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, expect, type Page } from "@playwright/test";

// scripts/e2e-server.sh copies the server's output here (fresh for every Playwright run).
export const SERVER_LOG = resolve(__dirname, "..", process.env.SECRYN_E2E_DATA ?? "target/e2e-data", "server.log");

/** The one-time setup code the server printed at start ("Setup code: XXXX-XXXX-XXXX-XXXX"). */
export function readSetupCode(): string {
  const log = readFileSync(SERVER_LOG, "utf8");
  const m = log.match(/Setup code: ([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})/);
  if (!m) throw new Error(`no "Setup code:" line in ${SERVER_LOG}`);
  return m[1];
}

/** Waits until the page has hydrated (the app sets data-hydrated on <body>). */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
}

/** The first Admin every test run creates. */
export const ADMIN = { name: "Ada Admin", email: "ada@example.com", password: "correct horse battery staple" };
/** The password the desktop story changes to; later projects sign in with it. */
export const NEW_PASSWORD = "a brand new passphrase 42";

/** Collects console errors (CSP violations, hydration errors, panics) for a test to check. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    // A refused form (4xx) is logged by the browser as a failed load; that is expected.
    const expected4xx = /^Failed to load resource: the server responded with a status of 4\d\d/;
    if (m.type() === "error" && !expected4xx.test(m.text())) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

/** Opens /login, waits for hydration and signs in. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs the first Admin in and opens the projects list, hydrated. */
export async function openProjectsAsAdmin(page: Page): Promise<void> {
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await page.goto("/projects");
  await waitForHydration(page);
}

/** Saves a screenshot under target/screenshots for people to look at. */
export async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: resolve(__dirname, `../target/screenshots/${name}.png`), fullPage: true });
}

/** A person invited during a test. */
export interface Person {
  name: string;
  email: string;
  password: string;
}

/** The Admin (signed in on `admin`) invites `person`; returns the invitation link. */
export async function createInvitation(admin: Page, person: Pick<Person, "name" | "email">): Promise<string> {
  await admin.goto("/admin/users");
  await waitForHydration(admin);
  await admin.getByRole("button", { name: "Invite user" }).click();
  await admin.getByLabel("Name", { exact: true }).fill(person.name);
  await admin.getByLabel("E-mail", { exact: true }).fill(person.email);
  await admin.getByRole("button", { name: "Create invitation link" }).click();
  return admin.getByLabel("Link to send").inputValue();
}

/** The Admin (signed in on `admin`) invites `person`, who accepts in a browser of their own. */
export async function inviteAndJoin(admin: Page, browser: Browser, person: Person): Promise<Page> {
  const link = await createInvitation(admin, person);
  const page = await (await browser.newContext()).newPage();
  await page.goto(link);
  await waitForHydration(page);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByLabel("Repeat password").fill(person.password);
  await page.getByRole("button", { name: "Accept and sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${person.name}` })).toBeVisible();
  return page;
}

/**
 * Opens project `name` as the Admin, creating it first when this server has none by that name,
 * so a spec file needs nothing an earlier one made.
 */
export async function openProject(page: Page, name: string): Promise<void> {
  await openProjectsAsAdmin(page);
  const link = page.getByRole("link", { name, exact: true });
  if ((await link.count()) === 0) {
    await page.getByRole("button", { name: "New project" }).click();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByRole("button", { name: "Create project" }).click();
  } else {
    await link.click();
  }
  await expect(page.getByRole("heading", { name, exact: true })).toBeVisible();
  await waitForHydration(page);
}

/** Opens vault `vault` of project `project` as the Admin, creating either when missing. */
export async function openVault(page: Page, project: string, vault: string): Promise<void> {
  await openProject(page, project);
  const link = page.getByRole("link", { name: vault, exact: true });
  if ((await link.count()) === 0) {
    await page.getByText("New vault").click();
    await page.getByLabel("Name", { exact: true }).fill(vault);
    await page.getByRole("button", { name: "Create vault" }).click();
  } else {
    await link.click();
  }
  await expect(page.getByRole("heading", { name: vault, exact: true })).toBeVisible();
  await waitForHydration(page);
}

/**
 * Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is and fails on any serious or
 * critical violation, naming each with the elements it found.
 */
export async function auditAccessibility(page: Page, name: string): Promise<void> {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`);
  expect(bad, `accessibility of ${name}`).toEqual([]);
}
