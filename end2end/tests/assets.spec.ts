import { expect, test } from "@playwright/test";
import { waitForHydration, watchConsole } from "../helpers";

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
  for (const asset of ["/pkg/secryn.wasm", "/pkg/secryn.js", "/pkg/secryn.css"]) {
    expect(encodings.get(asset), asset).toBe("br");
  }
  // A client that accepts only gzip gets gzip; one that accepts nothing gets the file as it is.
  const gz = await page.request.get("/pkg/secryn.wasm", { headers: { "accept-encoding": "gzip" } });
  expect(gz.headers()["content-encoding"]).toBe("gzip");
  const plain = await page.request.get("/pkg/secryn.wasm", { headers: { "accept-encoding": "identity" } });
  expect(plain.headers()["content-encoding"]).toBeUndefined();
  expect(plain.headers()["content-type"]).toBe("application/wasm");
  expect((await plain.body()).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  expect(errors).toEqual([]);
});
