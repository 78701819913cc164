import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, expect, type Locator, type Page } from "@playwright/test";

// scripts/e2e-server.sh copies the server's output here (fresh for every Playwright run).
export const SERVER_LOG = resolve(__dirname, "..", process.env.SECRYN_E2E_DATA ?? "target/e2e-data", "server.log");

/** The one-time setup code the server printed at start ("Setup code: XXXX-XXXX-XXXX-XXXX"). */
export function readSetupCode(): string {
  const log = readFileSync(SERVER_LOG, "utf8");
  const m = log.match(/Setup code: ([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})/);
  if (!m) throw new Error(`no "Setup code:" line in ${SERVER_LOG}`);
  return m[1];
}

/**
 * The pages sent without the browser bundle (sign-in, setup, invitation, reset): plain forms,
 * ready once loaded (app/src/ui/mod.rs, is_signed_out_page).
 */
export const PAGES_WITHOUT_BUNDLE = /^\/(login|setup)$|^\/(invite|reset)\//;

/**
 * Waits until the page is ready: hydrated (the app sets data-hydrated on <body>), or loaded
 * for a page sent without the bundle, which never hydrates.
 */
export async function waitForHydration(page: Page): Promise<void> {
  if (PAGES_WITHOUT_BUNDLE.test(new URL(page.url()).pathname)) {
    await page.waitForLoadState("load");
    await expect(page.locator("body[data-hydrated]")).toHaveCount(0);
    return;
  }
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
}

/** The first Admin every test run creates. */
export const ADMIN = { name: "First Admin", email: "admin@example.com", password: "correct horse battery staple" };
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

/**
 * A person to invite, named by their role (`name`), with an e-mail address unique to this run:
 * `local.stamp@example.com`.
 */
export function person(name: string, local: string, stamp: number | string): Person {
  return { name, email: `${local}.${stamp}@example.com`, password: `the ${name.toLowerCase()}'s long passphrase` };
}

/** A project role as the Members tab's picker names it. */
export type ProjectRole = "read_only" | "contributor" | "project_manager";

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
  // Ready for clicks: the page is interactive only once hydrated (the home page's area is
  // fetched first; app/src/ui/split.rs).
  await waitForHydration(page);
  return page;
}

/**
 * The Admin (signed in on `admin`) invites each person, who joins in a browser of their own, then
 * adds them all to project `project` with their roles. Returns their pages, in the same order.
 */
export async function joinProject(admin: Page, browser: Browser, project: string, members: [Person, ProjectRole][]): Promise<Page[]> {
  const pages: Page[] = [];
  for (const [who] of members) pages.push(await inviteAndJoin(admin, browser, who));
  await admin.goto("/projects");
  await waitForHydration(admin);
  await admin.getByRole("link", { name: project, exact: true }).click();
  await admin.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Members" }).click();
  for (const [who, role] of members) {
    await admin.getByLabel("User", { exact: true }).selectOption({ label: `${who.name} <${who.email}>` });
    await admin.getByLabel("Role", { exact: true }).selectOption(role);
    await admin.getByRole("button", { name: "Add member" }).click();
    await expect(admin.getByRole("row").filter({ hasText: who.email })).toBeVisible();
  }
  return pages;
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

/** The vault's id, from a vault page's URL. */
export function vaultIdOf(page: Page): string {
  return page.url().split("/vaults/")[1].split("/")[0];
}

/** Clicks the download link `name` and returns the saved file's name and text. */
export async function download(page: Page, name: string): Promise<{ file: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name, exact: true }).click()]);
  const path = await file.path();
  return { file: file.suggestedFilename(), text: readFileSync(path, "utf8") };
}

/** Fails when the page is wider than the window (something pushes it sideways). */
export async function noSidewaysScroll(page: Page, what: string): Promise<void> {
  const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  expect(fits, `${what}: the page does not scroll sideways`).toBe(true);
}

/** Every visible control in the page's main part is at least 44 px tall (phones); a check box counts its label. */
export async function tapTargets(page: Page): Promise<void> {
  const small = await page.evaluate(() =>
    [...document.querySelectorAll("main button, main a.button, main select, main input:not([type=hidden]), .tabs a, .breadcrumbs a")]
      .filter((e) => (e as HTMLElement).offsetParent !== null)
      // A check box is tapped through its whole label.
      .map((e) => (e.matches("input[type=checkbox], input[type=radio]") && e.closest("label")) || e)
      .map((e) => ({ what: `${e.tagName} ${(e.textContent ?? "").trim() || e.id}`, h: Math.round(e.getBoundingClientRect().height) }))
      .filter((t) => t.h < 44),
  );
  expect(small).toEqual([]);
}

/** At a phone's width: `what` fits the window and every control is big enough to tap. */
export async function fitsPhone(page: Page, what: string): Promise<void> {
  await noSidewaysScroll(page, what);
  await tapTargets(page);
}

/**
 * Opens tab `tab` ("keys", "certificates", …) of vault `vault` in project `project` as the Admin,
 * creating either when missing; returns the vault's id.
 */
export async function openVaultTab(page: Page, project: string, vault: string, tab: string): Promise<string> {
  await openVault(page, project, vault);
  const vaultId = vaultIdOf(page);
  await page.goto(`/vaults/${vaultId}/${tab}`);
  await waitForHydration(page);
  return vaultId;
}

/** The value of fact `term` (the whole term) in a key's or certificate's facts list. */
export function fact(page: Page, term: string): Locator {
  return page.locator("dl.facts dt", { hasText: new RegExp(`^${term}$`) }).locator("xpath=following-sibling::dd[1]");
}

/** What making a key or certificate public handed over, once. */
export interface HandOff {
  /** The sheet that shows it. */
  sheet: Locator;
  token: string;
  /** The link that fetches the public part with the token in its query. */
  link: string;
}

/**
 * Makes the key or certificate on `page` public (`noun`: "key" or "certificate") through its sheet
 * and checks the token's one showing: Copy token focused, the link and the curl command for `url`
 * (the public address), and each wrapping inside its box on a phone. The sheet stays open.
 */
export async function makePublic(page: Page, noun: string, url: string): Promise<HandOff> {
  await page.getByRole("button", { name: "Make public…" }).click();
  const sheet = page.getByRole("dialog", { name: `Make this ${noun} public` });
  await expect(sheet).toContainText("never its private key");
  await sheet.getByRole("button", { name: "Make public", exact: true }).click();
  await expect(sheet.getByRole("note")).toContainText("only time it is shown");
  await expect(sheet.getByRole("button", { name: "Copy token" })).toBeFocused();
  const token = (await sheet.locator("#public-token-text").textContent()) ?? "";
  expect(token.length).toBeGreaterThan(20);
  const link = (await sheet.locator("#public-link").textContent()) ?? "";
  expect(link).toBe(`${url}?code=${token}`);
  await expect(sheet.locator("#public-curl")).toHaveText(`curl -H "Authorization: Bearer ${token}" ${url}`);
  if ((page.viewportSize()?.width ?? 1280) < 800) {
    for (const id of ["#public-token-text", "#public-link", "#public-curl"]) {
      expect(await sheet.locator(id).evaluate((e) => e.scrollWidth <= e.clientWidth), `${id} wraps`).toBe(true);
    }
  }
  return { sheet, token, link };
}

/** Done closes the hand-off and forgets the token; the page now says it is public. */
export async function closeHandOff(page: Page, { sheet, token }: HandOff): Promise<void> {
  await sheet.getByRole("button", { name: "Done" }).click();
  await expect(sheet).toBeHidden();
  await expect(page.getByText(token)).toHaveCount(0);
  await expect(page.locator("h1 .badge", { hasText: "Public" })).toBeVisible();
  await expect(fact(page, "Public")).toContainText("Yes");
}

/** Makes the key or certificate on `page` private (`noun`), confirming first; the page says so. */
export async function makePrivate(page: Page, noun: string): Promise<void> {
  await page.getByRole("button", { name: "Make private…" }).click();
  const confirm = page.getByRole("dialog", { name: `Make this ${noun} private?` });
  await expect(confirm).toContainText("revoked at once");
  await confirm.getByRole("button", { name: "Make private" }).click();
  await expect(page.getByRole("status")).toContainText(`The ${noun} is private`);
  await expect(fact(page, "Public")).toHaveText("No");
}
