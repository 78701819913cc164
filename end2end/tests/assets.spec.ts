import { type APIRequestContext, expect, type Page, test } from "@playwright/test";
import { ADMIN, openVault, signIn, waitForHydration, watchConsole } from "../helpers";

const IMMUTABLE = "public, max-age=31536000, immutable";
// What scripts/build.sh names a bundle file: <stem>.<16 hex>.<ext>, the build id (the frame,
// the area packs and their loader) or the stylesheet's content hash.
const HASHED = /^\/pkg\/\w+\.[0-9a-f]{16}\.(wasm|pack|js|css)$/;

// The /pkg/ files a page's HTML names (stylesheet, module preload, wasm and pack preloads).
async function referencedAssets(request: APIRequestContext, path: string): Promise<string[]> {
  const html = await (await request.get(path)).text();
  return [...new Set(html.match(/\/pkg\/[A-Za-z0-9._/-]+\.(?:wasm|pack|js|css)/g) ?? [])].sort();
}

// The WASM files (frame, parts, packs) the page fetches from now on, by path.
function watchWasmFetches(page: Page): Set<string> {
  const fetched = new Set<string>();
  page.on("request", (r) => {
    const name = new URL(r.url()).pathname;
    if (name.startsWith("/pkg/") && /\.(wasm|pack)$/.test(name)) fetched.add(name);
  });
  return fetched;
}

// The browser bundle travels compressed (the build stores brotli and gzip copies) and still
// hydrates the page.
test("the browser bundle is served compressed and hydrates the page", async ({ page }) => {
  const errors = watchConsole(page);
  const encodings = new Map<string, string>();
  page.on("response", (r) => {
    const name = new URL(r.url()).pathname;
    if (name.startsWith("/pkg/")) encodings.set(name, r.headers()["content-encoding"] ?? "none");
  });
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await page.goto("/projects");
  await waitForHydration(page);
  const assets = await referencedAssets(page.request, "/projects");
  expect([...new Set(assets.map((a) => a.split(".").pop()))].sort()).toEqual(["css", "js", "pack", "wasm"]);
  for (const asset of assets) {
    expect(encodings.get(asset), asset).toBe("br");
  }
  // A client that accepts only gzip gets gzip; one that accepts nothing gets the file as it is.
  const wasm = assets.find((a) => /^\/pkg\/secryn\..*\.wasm$/.test(a)) ?? "";
  const gz = await page.request.get(wasm, { headers: { "accept-encoding": "gzip" } });
  expect(gz.headers()["content-encoding"]).toBe("gzip");
  const plain = await page.request.get(wasm, { headers: { "accept-encoding": "identity" } });
  expect(plain.headers()["content-encoding"]).toBeUndefined();
  expect(plain.headers()["content-type"]).toBe("application/wasm");
  expect((await plain.body()).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  expect(errors).toEqual([]);
});

// Bundle files carry their content hash, so browsers keep them a year without asking; the
// page naming them is never stored, so a new build's page names the new files at once.
test("pages name content-hashed assets that cache for a year; pages are not stored", async ({ page: browserPage }) => {
  await signIn(browserPage, ADMIN.email, ADMIN.password);
  await expect(browserPage.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  const request = browserPage.request;
  const page = await request.get("/projects");
  expect(page.status()).toBe(200);
  expect(page.headers()["cache-control"]).toBe("no-store");
  const assets = await referencedAssets(request, "/projects");
  expect(assets.length).toBeGreaterThan(3);
  for (const asset of assets) {
    expect(asset).toMatch(HASHED);
    for (const encoding of ["br", "identity"]) {
      const res = await request.get(asset, { headers: { "accept-encoding": encoding } });
      expect(res.status(), `${asset} (${encoding})`).toBe(200);
      expect(res.headers()["cache-control"], `${asset} (${encoding})`).toBe(IMMUTABLE);
    }
  }
  // The plain names the build keeps for tools are revalidated; a missing file is never cached.
  expect((await request.get("/pkg/secryn.wasm")).headers()["cache-control"]).toBe("no-cache");
  const missing = await request.get("/pkg/secryn.0000000000000000.wasm");
  expect(missing.status()).toBe(404);
  expect(missing.headers()["cache-control"]).toBe("no-store");
});

// The bundle is cut by area (app/src/ui/split.rs): a page's HTML names the frame and the pack
// of its own area's parts, and the browser fetches nothing else to show it. Opening another
// area later fetches that area's pack, and the page works.
test("a page fetches only the bundle parts its HTML names, and another area's on the way", async ({ page }) => {
  const errors = watchConsole(page);
  const fetched = watchWasmFetches(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  const areas = new Set<string>();
  for (const path of ["/", "/projects", "/admin/users", "/admin/logs", "/support", "/profile"]) {
    fetched.clear();
    await page.goto(path);
    await waitForHydration(page);
    const named = await referencedAssets(page.request, path);
    const parts = named.filter((a) => a.startsWith("/pkg/pack_"));
    expect(parts.length, `${path} names its area's pack`).toBe(1);
    areas.add(parts[0]);
    expect([...fetched].filter((f) => !named.includes(f)), `${path} fetched WASM its HTML does not name`).toEqual([]);
  }
  expect(areas.size, "start, users, logs and support are four areas").toBe(4);
  // From the users page (admin area) to the logs (another area) without a page load.
  await page.goto("/admin/users");
  await waitForHydration(page);
  fetched.clear();
  await page.getByRole("link", { name: "Logs", exact: true }).first().click();
  await expect(page).toHaveURL(/\/admin\/logs\/audit$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Logs");
  expect([...fetched].some((f) => f.startsWith("/pkg/pack_logs_area_")), "the logs pack was fetched").toBe(true);
  expect(errors).toEqual([]);
});

// A pack that does not arrive (a proxy that drops it, a network error) costs its size, not
// the page: the loader fetches the area's parts one by one instead, and the page hydrates.
test("without its pack an area loads from its parts", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await page.route("**/pkg/pack_*", (route) => route.abort());
  const fetched = watchWasmFetches(page);
  await page.goto("/admin/users");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  const parts = [...fetched].filter((f) => /^\/pkg\/(split|chunk)_/.test(f));
  expect(parts.some((f) => f.startsWith("/pkg/split_users_area_")), "the users part came on its own").toBe(true);
  expect(parts.length, "and the chunks it needs").toBeGreaterThan(10);
  // The page's own code runs: "Invite user" opens its panel in the browser.
  await page.getByRole("button", { name: "Invite user" }).click();
  await expect(page.getByRole("heading", { name: "Invite someone" })).toBeVisible();
});

// A vault's tabs live in four areas (secrets; keys; certificates; access keys and
// settings), each holding the vault's frame too. Switching tabs fetches the tab's area and
// keeps the frame; a tab loaded directly names its own area only.
test("vault tabs of other areas load inside the kept frame", async ({ page }) => {
  const errors = watchConsole(page);
  const fetched = watchWasmFetches(page);
  await openVault(page, "Split areas", "tabs");
  const vault = page.url().replace(/\/$/, "");
  await page.goto(vault);
  await waitForHydration(page);
  const frame = page.getByRole("heading", { level: 1, name: "tabs" });
  const marker = await frame.evaluate((h) => (h.dataset.kept = "yes"));
  expect(marker).toBe("yes");
  for (const [tab, area, shows] of [
    ["Access keys", "vault_admin_area", "New access key"],
    ["Keys", "keys_area", "New key"],
    ["Settings", "vault_admin_area", "Save access settings"],
    ["Secrets", "vault_area", "New secret"],
  ]) {
    await page.getByRole("navigation", { name: "Vault sections" }).getByRole("link", { name: tab, exact: true }).click();
    await expect(page.getByRole("button", { name: shows }).first()).toBeVisible();
    await expect(frame, `the frame stays across the ${tab} tab`).toHaveAttribute("data-kept", "yes");
    expect([...fetched].some((f) => f.startsWith(`/pkg/pack_${area}_`)), `${tab} fetched its area`).toBe(true);
  }
  for (const [tab, area] of [["access-keys", "vault_admin_area"], ["certificates", "certificates_area"]]) {
    const named = await referencedAssets(page.request, `${vault}/${tab}`);
    const packs = named.filter((a) => a.startsWith("/pkg/pack_"));
    expect(packs.map((p) => p.split("/pkg/pack_")[1].startsWith(area)), `${tab} names ${area} only`).toEqual([true]);
  }
  expect(errors).toEqual([]);
});

// The pages a signed-out visitor meets are plain forms that work without the bundle, so they
// are sent without it: only the stylesheet, and they open at once. Signing in then loads the
// bundle on the first signed-in page.
test("sign-in, invitation and reset pages are sent without the browser bundle", async ({ page }) => {
  const errors = watchConsole(page);
  for (const path of ["/login", "/login?next=/projects", "/invite/not-a-real-token", "/reset/not-a-real-token"]) {
    const assets = await referencedAssets(page.request, path);
    expect(assets.map((a) => a.split(".").pop()), path).toEqual(["css"]);
  }
  // A refused sign-in comes back with the address still typed (kept by /forms.js in this
  // tab), never the password.
  await signIn(page, ADMIN.email, "not the right password at all");
  await expect(page.getByRole("alert")).not.toBeEmpty();
  await expect(page.getByLabel("E-mail")).toHaveValue(ADMIN.email);
  await expect(page.getByLabel("Password", { exact: true })).toHaveValue("");
  await expect(page.getByLabel("Password", { exact: true })).toBeFocused();
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${ADMIN.name}` })).toBeVisible();
  await waitForHydration(page);
  expect(errors).toEqual([]);
});
