import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { ADMIN, inviteAndJoin, openVault, snap, waitForHydration, watchConsole } from "../helpers";

// Admin → Logs as an Admin meets it, at the desktop and the phone width: a secret is made, its
// audit entries are found by its name (with a time range typed in the viewer's own zone), one
// is opened, the filtered view is exported as CSV, the chain is verified, and the request and
// user logs show a refused REST call and the Admin's sign-in. A member who is not an Admin has
// no Logs link and the page refuses them.

// A zone far from UTC, so a time range read in the wrong zone would find nothing.
const ZONE_MINUTES = 330;
test.use({ timezoneId: "Asia/Kolkata" });

/** `datetime-local` text for `ms` as the viewer in Kolkata types it. */
function localInput(ms: number): string {
  return new Date(ms + ZONE_MINUTES * 60_000).toISOString().slice(0, 16);
}

/** An address in `prefix` (three octets) of this run's own, for calls counted per address. */
function randomAddress(prefix: string): string {
  return `${prefix}.${1 + Math.floor(Math.random() * 254)}`;
}

/** Fails when the page is wider than the window (something pushes it sideways). */
async function noSidewaysScroll(page: Page, what: string): Promise<void> {
  const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  expect(fits, `${what}: the page does not scroll sideways`).toBe(true);
}

/** The rows of the log table on the page. */
function logRows(page: Page) {
  return page.locator("table.log-table tbody tr");
}

/** Submits the filter form (a plain GET form) and waits for the page it leads to. */
async function apply(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForLoadState("load");
  await waitForHydration(page);
}

for (const width of [1280, 390]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width > 800 ? 800 : 844 } });

    test("find a secret's entries, open one, export them, verify the chain; requests and sign-ins", async ({
      page,
      request,
    }) => {
      const errors = watchConsole(page);
      const started = Date.now();
      const name = `LOGGED_${started}_${width}`;
      await openVault(page, "Logbook", `logs-${width}`);
      const vaultId = new URL(page.url()).pathname.split("/")[2];
      await page.getByRole("button", { name: "New secret" }).click();
      await page.getByLabel("Name", { exact: true }).fill(name);
      await page.getByLabel("Value", { exact: true }).fill("a value never logged");
      await page.getByRole("button", { name: "Create secret" }).click();
      await expect(page.getByRole("heading", { level: 1, name: new RegExp(name) })).toBeVisible();
      // A refused REST call, for the request log.
      expect((await request.get(`/api/v1/vaults/${vaultId}`)).status()).toBe(401);

      // The Logs link in the sidebar (behind the menu on a phone) opens the Audit tab.
      await waitForHydration(page);
      if (width < 800) await page.getByRole("button", { name: "Menu" }).click();
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Logs" }).click();
      await expect(page).toHaveURL(/\/admin\/logs\/audit$/);
      await expect(page.getByRole("heading", { level: 1, name: "Logs" })).toBeVisible();
      const tabs = page.getByRole("navigation", { name: "Logs" }).getByRole("link");
      await expect(tabs).toHaveText(["Audit", "Requests", "Users", "MCP"]);
      await expect(tabs.filter({ hasText: "Audit" })).toHaveAttribute("aria-current", "page");
      await expect(page.getByText("Times are in your time zone (UTC+05:30).")).toBeVisible();
      await expect(logRows(page).first()).toBeVisible();

      // A range that ends before it starts is refused beside "To".
      await page.getByLabel("From", { exact: true }).fill(localInput(started + 2 * 3600_000));
      await page.getByLabel("To", { exact: true }).fill(localInput(started + 3600_000));
      await apply(page);
      await expect(page.locator("#field-to-error")).toHaveText("The end of the range must be after its start.");
      await expect(page.getByLabel("To", { exact: true })).toHaveAttribute("aria-invalid", "true");

      // From a minute before the secret was made, by its name: its entries and nothing else.
      await page.getByLabel("From", { exact: true }).fill(localInput(started - 60_000));
      await page.getByLabel("To", { exact: true }).fill("");
      await page.getByLabel("Resource", { exact: true }).fill(name);
      await apply(page);
      await expect(page).toHaveURL(new RegExp(`resource=${name}`));
      await expect(page).toHaveURL(/tz=330/);
      const rows = logRows(page);
      await expect(rows.first()).toContainText("secret.create");
      const count = await rows.count();
      for (let i = 0; i < count; i++) await expect(rows.nth(i)).toContainText(name);
      await expect(rows.first()).toContainText(ADMIN.name);
      // Times are the viewer's (no "UTC" once the page is interactive); the instant stays UTC.
      const time = rows.first().locator("time");
      await expect(time).not.toContainText("UTC");
      expect(await time.getAttribute("datetime")).toMatch(/Z$/);
      if (width < 800) await noSidewaysScroll(page, "filtered audit log");
      await snap(page, `logs-audit-${width}`);

      // One entry in full; Escape closes it and the button has the focus again.
      const details = rows.first().getByRole("button", { name: /^Details/ });
      await details.click();
      const dialog = page.getByRole("dialog", { name: "Audit entry" });
      await expect(dialog).toBeVisible();
      await expect(dialog).toContainText(name);
      await expect(dialog).toContainText("secret.create");
      await expect(dialog).toContainText("Request id");
      await snap(page, `logs-entry-${width}`);
      await page.keyboard.press("Escape");
      await expect(dialog).toBeHidden();
      await expect(details).toBeFocused();

      // The export carries exactly this filter: the header, then these rows and no others.
      const exportLink = page.getByRole("link", { name: "Export CSV" });
      await expect(exportLink).toHaveAttribute("href", new RegExp(`/admin/logs/audit/export\\.csv\\?from=\\d+&resource=${name}$`));
      const [file] = await Promise.all([page.waitForEvent("download"), exportLink.click()]);
      expect(file.suggestedFilename()).toMatch(/^secryn-audit-log-\d{8}T\d{6}Z\.csv$/);
      const lines = readFileSync(await file.path(), "utf8").trimEnd().split("\r\n");
      expect(lines[0]).toBe(
        "seq,id,time,actor_type,actor_id,actor,action,resource_type,resource_id,resource_name,changes,source_ip,request_id",
      );
      expect(lines.length - 1).toBe(count);
      for (const line of lines.slice(1)) expect(line).toContain(name);
      expect(lines.slice(1).some((l) => l.includes("secret.create"))).toBe(true);

      // The chain holds.
      await page.getByRole("button", { name: "Verify chain" }).click();
      await expect(page.locator("#chain-status")).toContainText(/Audit chain intact, \d+ entries\./);
      await expect(page.locator("#chain-status .notice.ok")).toBeVisible();

      // Nothing matches: the empty state, and Clear goes back to the whole log.
      await page.getByLabel("Resource", { exact: true }).fill(`${name}-no-such-thing`);
      await apply(page);
      await expect(page.getByText("Nothing matches these filters")).toBeVisible();
      await expect(page.getByRole("link", { name: "Export CSV" })).toBeVisible();
      await page.getByRole("link", { name: "Clear" }).click();
      await expect(page).toHaveURL(/\/admin\/logs\/audit$/);
      await expect(logRows(page).first()).toBeVisible();

      // The request log has the refused REST call (status filter 4 = every 4xx).
      await page.getByRole("navigation", { name: "Logs" }).getByRole("link", { name: "Requests" }).click();
      await expect(page).toHaveURL(/\/admin\/logs\/requests$/);
      await waitForHydration(page);
      await expect(page.getByLabel("Status", { exact: true })).toBeVisible();
      await page.getByLabel("Status", { exact: true }).fill("4");
      await apply(page);
      const call = logRows(page).filter({ hasText: "/api/v1/vaults/{vault_id}" }).first();
      await expect(call).toContainText("401");
      await expect(call).toContainText("GET");
      if (width < 800) await noSidewaysScroll(page, "request log");
      await snap(page, `logs-requests-${width}`);
      await call.getByRole("button", { name: /^Details/ }).click();
      await expect(page.getByRole("dialog", { name: "Request" })).toContainText("Duration (ms)");
      await page.keyboard.press("Escape");

      // The user log has the Admin's sign-in.
      await page.getByRole("navigation", { name: "Logs" }).getByRole("link", { name: "Users" }).click();
      await expect(page).toHaveURL(/\/admin\/logs\/users$/);
      await expect(page.getByLabel("Event", { exact: true })).toBeVisible();
      await expect(
        logRows(page).filter({ hasText: ADMIN.email }).filter({ hasText: /sign_in(?!_)/ }).first(),
      ).toBeVisible();
      if (width < 800) await noSidewaysScroll(page, "user log");
      await snap(page, `logs-users-${width}`);
      expect(errors).toEqual([]);
    });
  });
}

test("paging: Older goes back in time, Newest returns to the start", async ({ page, request }) => {
  const errors = watchConsole(page);
  await openVault(page, "Logbook", "logs-paging");
  const vaultId = new URL(page.url()).pathname.split("/")[2];
  // More refused REST calls than one page holds (50), from an address of their own (under its
  // rate of 60 a minute).
  const headers = { "X-Forwarded-For": randomAddress("198.51.100") };
  for (let i = 0; i < 55; i++) {
    expect((await request.get(`/api/v1/vaults/${vaultId}?secrets=names`, { headers })).status()).toBe(401);
  }
  await page.goto("/admin/logs/requests?action=401");
  await waitForHydration(page);
  await expect(logRows(page)).toHaveCount(50);
  await expect(page.getByRole("link", { name: "Newest" })).toHaveCount(0);
  const newest = await logRows(page).first().locator("time").getAttribute("datetime");
  const last = await logRows(page).last().locator("time").getAttribute("datetime");
  await page.getByRole("link", { name: "Older →" }).click();
  await expect(page).toHaveURL(/\/admin\/logs\/requests\?action=401&cursor=\d+%3A/);
  await expect(page.getByRole("link", { name: "Newest" })).toBeVisible();
  const older = await logRows(page).first().locator("time").getAttribute("datetime");
  expect((older ?? "") <= (last ?? "")).toBe(true);
  for (const row of await logRows(page).all()) await expect(row).toContainText("401");
  await page.getByRole("link", { name: "Newest" }).click();
  await expect(page).toHaveURL(/\/admin\/logs\/requests\?action=401$/);
  await expect(logRows(page).first().locator("time")).toHaveAttribute("datetime", newest ?? "");
  expect(errors).toEqual([]);
});

test("calls past an address's rate are answered 429 and counted on one line of the request tab", async ({
  page,
  request,
}) => {
  const errors = watchConsole(page);
  await openVault(page, "Logbook", "logs-refused");
  const address = randomAddress("203.0.113");
  const headers = { "X-Forwarded-For": address, Authorization: "Bearer not-a-key" };
  const statuses: number[] = [];
  for (let i = 0; i < 64; i++) {
    statuses.push((await request.get("/api/v1/vaults/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", { headers })).status());
  }
  // 60 a minute get their own row (a minute may turn over during the loop: then a few more).
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  const last = await request.get("/api/v1/vaults/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", { headers });
  expect(last.status()).toBe(429);
  expect((await last.json()).error).toBe("rate_limited");
  // The counts are written every few seconds.
  const line = page.locator('table[data-log="refused"] tbody tr', { hasText: address });
  await expect(async () => {
    await page.goto("/admin/logs/requests");
    await expect(line.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await waitForHydration(page);
  await expect(line.first()).toContainText("API");
  await expect(page.getByRole("heading", { name: "Refused and only counted" })).toBeVisible();
  expect(errors).toEqual([]);
});

test("someone who is not an Admin has no Logs link and the page refuses them", async ({ page, browser }) => {
  await openVault(page, "Logbook", "logs-members");
  const stamp = Date.now();
  const member = { name: "Plain Member", email: `member.${stamp}@example.com`, password: "no logs for this passphrase" };
  const theirs = await inviteAndJoin(page, browser, member);
  await expect(theirs.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Logs" })).toHaveCount(0);
  for (const path of ["/admin/logs", "/admin/logs/audit", "/admin/logs/users"]) {
    const res = await theirs.goto(path);
    expect(res?.status(), path).toBe(404);
    await expect(theirs.getByRole("heading", { name: "Page not found" })).toBeVisible();
    expect(await theirs.content()).not.toContain("Verify chain");
  }
  await theirs.context().close();
});

test("an agent's MCP session shows on the MCP tab: handshake, tool call and refusal, never a key", async ({
  page,
  request,
}) => {
  const errors = watchConsole(page);
  await openVault(page, "Logbook", "logs-mcp");
  // Fixed-width groups: no other test's address starts with this one (the filter is a prefix).
  const group = () => (0x1000 + Math.floor(Math.random() * 0xefff)).toString(16);
  const address = `2001:db8:${group()}:${group()}::7`;
  const wrongKey = "secryn_ak_e2eprobeAAAABBBBCCCCDDDDEEEEFFFF0000111122223333";
  const headers = {
    "X-Forwarded-For": address,
    Accept: "application/json, text/event-stream",
    "Content-Type": "application/json",
  };
  const init = await request.post("/mcp", {
    headers,
    data: {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "e2e-agent", version: "1" } },
    },
  });
  expect(init.status()).toBe(200);
  const session = init.headers()["mcp-session-id"];
  expect(session).toBeTruthy();
  const inSession = { ...headers, "Mcp-Session-Id": session, Authorization: `Bearer ${wrongKey}` };
  await request.post("/mcp", { headers: inSession, data: { jsonrpc: "2.0", method: "notifications/initialized" } });
  const call = await request.post("/mcp", {
    headers: inSession,
    data: { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_secret", arguments: { name: "DB_URL" } } },
  });
  expect(call.status()).toBe(200);
  expect(await call.text()).toContain("401");
  const forged = await request.post("/mcp", {
    headers: { ...headers, "Mcp-Session-Id": "forged-session" },
    data: { jsonrpc: "2.0", id: 3, method: "tools/list" },
  });
  expect(forged.status()).toBe(404);

  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`/admin/logs/mcp?ip=${encodeURIComponent(address)}`);
    await waitForHydration(page);
    await expect(page.getByRole("heading", { level: 1, name: "Logs" })).toBeVisible();
    const tab = page.getByRole("navigation", { name: "Logs" }).getByRole("link", { name: "MCP" });
    await expect(tab).toHaveAttribute("aria-current", "page");
    await expect(logRows(page)).toHaveCount(3);
    await expect(logRows(page).filter({ hasText: "handshake" })).toHaveCount(1);
    const toolCall = logRows(page).filter({ hasText: "get_secret" });
    await expect(toolCall).toContainText("401");
    await expect(toolCall).toContainText("DB_URL");
    await expect(logRows(page).filter({ hasText: "rejected" })).toContainText("404");
    await expect(page.locator("main")).not.toContainText(wrongKey);
    await toolCall.getByRole("button", { name: /^Details/ }).click();
    const sheet = page.getByRole("dialog");
    await expect(sheet).toContainText(session);
    await expect(sheet).toContainText(/not valid|does not carry a valid access key/);
    await page.keyboard.press("Escape");
    if (width < 800) await noSidewaysScroll(page, "MCP log");
    await snap(page, `logs-mcp-${width}`);
  }
  expect(errors).toEqual([]);
});
