import { type APIRequestContext, expect, test } from "@playwright/test";
import { waitForHydration, watchConsole } from "../helpers";

const IMMUTABLE = "public, max-age=31536000, immutable";
// What scripts/build.sh names a bundle file: secryn.<16 hex of its SHA-256>.<ext>.
const HASHED = /^\/pkg\/secryn\.[0-9a-f]{16}\.(wasm|js|css)$/;

// The /pkg/ files a page's HTML names (stylesheet, module preload, wasm preload).
async function referencedAssets(request: APIRequestContext, path: string): Promise<string[]> {
  const html = await (await request.get(path)).text();
  return [...new Set(html.match(/\/pkg\/[A-Za-z0-9._/-]+\.(?:wasm|js|css)/g) ?? [])].sort();
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
  await page.goto("/login");
  await waitForHydration(page);
  const assets = await referencedAssets(page.request, "/login");
  expect(assets.map((a) => a.split(".").pop()).sort()).toEqual(["css", "js", "wasm"]);
  for (const asset of assets) {
    expect(encodings.get(asset), asset).toBe("br");
  }
  // A client that accepts only gzip gets gzip; one that accepts nothing gets the file as it is.
  const wasm = assets.find((a) => a.endsWith(".wasm")) ?? "";
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
test("pages name content-hashed assets that cache for a year; pages are not stored", async ({ request }) => {
  const page = await request.get("/login");
  expect(page.status()).toBe(200);
  expect(page.headers()["cache-control"]).toBe("no-store");
  const assets = await referencedAssets(request, "/login");
  expect(assets.length).toBe(3);
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
