import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import {
  closeHandOff,
  download,
  fact,
  fitsPhone,
  joinProject,
  makePrivate,
  makePublic,
  noSidewaysScroll,
  openVault,
  openVaultTab,
  person,
  snap,
  vaultIdOf,
  waitForHydration,
  watchConsole,
} from "../helpers";

/** Files made by openssl for the uploads: a PEM bundle (certificate and key) and a PFX. */
interface Made {
  bundle: Buffer;
  pfx: Buffer;
  /** `openssl x509 -fingerprint -sha256` of the certificate: `AB:CD:…`. */
  fingerprint: string;
}

/** Makes a certificate with openssl (subject `subject`), as people upload them. */
function opensslCertificate(subject: string): Made {
  const dir = mkdtempSync(join(tmpdir(), "secryn-cert-"));
  try {
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString();
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject, "-days", "30", "-keyout", "leaf.key", "-out", "leaf.pem");
    run("pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-passout", "pass:pfx-pass-42", "-out", "leaf.pfx");
    const fingerprint = run("x509", "-in", "leaf.pem", "-noout", "-fingerprint", "-sha256").trim().split("=")[1];
    const bundle = Buffer.concat([readFileSync(join(dir, "leaf.pem")), readFileSync(join(dir, "leaf.key"))]);
    return { bundle, pfx: readFileSync(join(dir, "leaf.pfx")), fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The SHA-256 fingerprint of a PEM certificate, as openssl reads it. */
function opensslFingerprint(pem: string): string {
  const dir = mkdtempSync(join(tmpdir(), "secryn-chain-"));
  try {
    writeFileSync(join(dir, "chain.pem"), pem);
    const out = execFileSync("openssl", ["x509", "-in", "chain.pem", "-noout", "-fingerprint", "-sha256"], { cwd: dir }).toString();
    return out.trim().split("=")[1];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A certificate's life in the UI, at the desktop and the phone width: the Certificates tab, a
// self-signed certificate made through its sheet (a bad country refused beside its field),
// its page checked against openssl, downloaded, shared by public token (fetched like a machine
// would with no session, then cut off and issued anew), disabled and enabled, its tags edited;
// then uploads — a file that is no certificate refused beside the file field, a PEM bundle
// read from a file, and a PFX whose wrong password is refused beside the password field.
for (const width of [1280, 390]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width > 800 ? 800 : 844 } });

    test("make, publish, unpublish and disable a certificate; upload PEM and PFX files", async ({ page, request, context, baseURL }) => {
      // Generating and uploading on two cores, at two widths, with many checks.
      test.slow();
      await context.grantPermissions(["clipboard-read", "clipboard-write"]);
      const errors = watchConsole(page);
      const vaultName = `certs-${width}`;
      await openVault(page, "Certificate shelf", vaultName);
      const vaultId = vaultIdOf(page);

      // The Certificates tab sits between Keys and Access keys and says what certificates are.
      const tabs = page.getByRole("navigation", { name: "Vault sections" }).getByRole("link");
      await expect(tabs).toHaveText(["Secrets", "Keys", "Certificates", "Access keys", "Settings"]);
      await tabs.filter({ hasText: /^Certificates$/ }).click();
      await expect(page).toHaveURL(new RegExp(`/vaults/${vaultId}/certificates$`));
      await expect(page.getByText("No certificates yet")).toBeVisible();
      await expect(page.locator(".empty-state")).toContainText("X.509");
      if (width < 800) await noSidewaysScroll(page, "empty Certificates tab");
      await snap(page, `certificates-empty-${width}`);

      // New self-signed: EC P-256 first; a missing name, then a bad country, refused beside them.
      await page.getByRole("button", { name: "New self-signed" }).click();
      const sheet = page.getByRole("dialog", { name: "New self-signed certificate" });
      await expect(sheet.getByLabel("Key type")).toHaveValue("ec_p256");
      await expect(sheet.getByLabel("Validity (days)")).toHaveValue("365");
      await sheet.getByRole("button", { name: "Create certificate" }).click();
      await expect(sheet.locator("#field-name-error")).not.toBeEmpty();
      await expect(sheet.getByLabel("Name", { exact: true })).toHaveAttribute("aria-invalid", "true");
      await sheet.getByLabel("Name", { exact: true }).fill("web-tls");
      await sheet.getByLabel("Common name").fill("www.example.test");
      await sheet.getByLabel("Subject alternative names").fill("www.example.test, example.test 10.0.0.5");
      await sheet.getByLabel("Validity (days)").fill("90");
      await sheet.getByLabel("Organization", { exact: true }).fill("Example Corp");
      await sheet.getByLabel("Organizational unit").fill("Platform");
      await sheet.getByLabel("Country").fill("D1");
      await sheet.getByLabel("Locality").fill("Berlin");
      await sheet.getByLabel("E-mail").fill("ops@example.test");
      await sheet.getByLabel("Tags").fill("prod, tls");
      await sheet.getByRole("button", { name: "Create certificate" }).click();
      await expect(sheet.locator("#field-country-error")).toContainText("two-letter");
      await expect(sheet.getByLabel("Country")).toHaveAttribute("aria-invalid", "true");
      await expect(sheet.locator("#field-name-error")).toBeEmpty();
      await sheet.getByLabel("Country").fill("DE");
      if (width < 800) {
        expect(await sheet.evaluate((e) => e.scrollWidth <= e.clientWidth), "the sheet does not scroll sideways").toBe(true);
      }
      await snap(page, `new-self-signed-${width}`);
      await sheet.getByRole("button", { name: "Create certificate" }).click();

      // Its page: trail, what was read from it (checked against openssl), the chain.
      await expect(page.getByRole("heading", { level: 1, name: /web-tls/ })).toBeVisible();
      await expect(page).toHaveURL(/\/certificates\/[0-9a-f-]{36}$/);
      await expect(page.getByRole("status")).toContainText("Certificate created.");
      await waitForHydration(page);
      const certId = new URL(page.url()).pathname.split("/").pop() ?? "";
      const trail = page.getByRole("navigation", { name: "Breadcrumb" });
      await expect(trail.getByRole("link", { name: "Certificate shelf", exact: true })).toBeVisible();
      await expect(trail.getByRole("link", { name: vaultName, exact: true })).toHaveAttribute("href", `/vaults/${vaultId}/certificates`);
      await expect(fact(page, "Subject")).toContainText("CN=www.example.test");
      await expect(fact(page, "Subject")).toContainText("O=Example Corp");
      await expect(fact(page, "Subject")).toContainText("C=DE");
      await expect(fact(page, "Issuer")).toContainText("CN=www.example.test");
      await expect(fact(page, "Key type")).toHaveText("EC P-256");
      await expect(fact(page, "Origin")).toHaveText("Generated");
      await expect(fact(page, "Private key")).toHaveText("Stored (sealed)");
      await expect(fact(page, "Chain")).toHaveText("1 certificate");
      await expect(fact(page, "Status")).toHaveText("Active");
      await expect(fact(page, "Tags")).toHaveText("prod, tls");
      await expect(fact(page, "Public")).toHaveText("No");
      await expect(fact(page, "Serial")).toHaveText(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/i);
      const fingerprint = ((await fact(page, "SHA-256 fingerprint").textContent()) ?? "").trim();
      expect(fingerprint).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
      const chain = (await page.locator("#chain-pem").textContent()) ?? "";
      expect(chain).toContain("-----BEGIN CERTIFICATE-----");
      expect(chain).not.toContain("PRIVATE KEY");
      expect(opensslFingerprint(chain)).toBe(fingerprint);
      const notAfter = ((await fact(page, "Not after").textContent()) ?? "").trim();
      await page.getByRole("button", { name: "Copy chain" }).click();
      await expect(page.getByRole("status")).toContainText("Chain copied.");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toContain("-----BEGIN CERTIFICATE-----");

      // The download: the chain, then the private key.
      const pem = await download(page, "Download PEM");
      expect(pem.file).toBe("web-tls.pem");
      expect(pem.text).toContain("-----BEGIN CERTIFICATE-----");
      expect(pem.text).toContain("-----BEGIN PRIVATE KEY-----");
      if (width < 800) await fitsPhone(page, "certificate page");
      await snap(page, `certificate-${width}`);

      // Make public: the token is shown once, with the link and a curl command.
      const url = `${new URL(baseURL ?? page.url()).origin}/api/v1/certificates/${certId}`;
      const handOff = await makePublic(page, "certificate", url);
      const { sheet: publish, token, link } = handOff;
      await snap(page, `certificate-public-token-${width}`);

      // A machine with no session fetches the chain with the link, or the token in a header.
      const fetched = await request.get(link);
      expect(fetched.status()).toBe(200);
      expect(fetched.headers()["content-type"]).toContain("application/x-pem-file");
      const body = await fetched.text();
      expect(body).toContain("-----BEGIN CERTIFICATE-----");
      expect(body).not.toContain("PRIVATE KEY");
      expect(opensslFingerprint(body)).toBe(fingerprint);
      expect((await request.get(url, { headers: { Authorization: `Bearer ${token}` } })).status()).toBe(200);
      expect((await request.get(url)).status()).toBe(401);

      // Done forgets the token; the page says the certificate is public.
      await closeHandOff(page, handOff);
      await expect(page.getByText(`/api/v1/certificates/${certId}`)).toBeVisible();

      // Making it private revokes the token at once: the same link now answers 401.
      await makePrivate(page, "certificate");
      const refused = await request.get(link);
      expect(refused.status()).toBe(401);
      expect(await refused.text()).not.toContain("CERTIFICATE-----");

      // Public again: a new token, which works; the old one stays dead.
      await page.getByRole("button", { name: "Make public…" }).click();
      await publish.getByRole("button", { name: "Make public", exact: true }).click();
      const newLink = (await publish.locator("#public-link").textContent()) ?? "";
      expect(newLink).not.toBe(link);
      await publish.getByRole("button", { name: "Done" }).click();
      expect((await request.get(newLink)).status()).toBe(200);
      expect((await request.get(link)).status()).toBe(401);

      // Disabling asks first, and the public link stops too; enabling does not ask.
      await page.getByRole("button", { name: "Disable…" }).click();
      const disable = page.getByRole("dialog", { name: "Disable this certificate?" });
      await disable.getByRole("button", { name: "Disable" }).click();
      await expect(page.locator("h1 .badge").first()).toHaveText("Disabled");
      await expect(fact(page, "Status")).toHaveText("Disabled");
      expect((await request.get(newLink)).status()).toBe(404);
      await trail.getByRole("link", { name: vaultName, exact: true }).click();
      await expect(page.getByRole("row").filter({ hasText: "web-tls" }).locator(".badge").first()).toHaveText("Disabled");
      if (width < 800) await noSidewaysScroll(page, "Certificates tab, disabled");
      await snap(page, `certificates-disabled-${width}`);
      await page.getByRole("link", { name: "web-tls", exact: true }).click();
      await expect(page.getByRole("heading", { level: 1, name: /web-tls/ })).toBeVisible();
      await page.getByRole("button", { name: "Enable", exact: true }).click();
      await expect(page.locator("h1 .badge").first()).toHaveText("Active");
      expect((await request.get(newLink)).status()).toBe(200);

      // Edit tags.
      await page.getByRole("button", { name: "Edit tags" }).click();
      const tagsSheet = page.getByRole("dialog", { name: "Edit tags" });
      await expect(tagsSheet.getByLabel("Tags")).toHaveValue("prod, tls");
      await tagsSheet.getByLabel("Tags").fill("prod, tls, edge");
      await tagsSheet.getByRole("button", { name: "Save tags" }).click();
      await expect(page.getByRole("status")).toContainText("Tags saved.");
      await expect(fact(page, "Tags")).toHaveText("prod, tls, edge");

      // The tab lists it with what was read from it, and the filter narrows by name.
      await trail.getByRole("link", { name: vaultName, exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/vaults/${vaultId}/certificates$`));
      const row = page.getByRole("row").filter({ hasText: "web-tls" });
      await expect(row).toContainText("www.example.test");
      await expect(row).toContainText("EC P-256");
      await expect(row).toContainText("Active");
      await expect(row).toContainText(notAfter.slice(0, 10));
      await expect(row.locator(".badge", { hasText: "Public" })).toBeVisible();
      await page.getByLabel("Filter by name").fill("nothing-like-it");
      await expect(page.getByText("No certificate matches this filter")).toBeVisible();
      await page.getByLabel("Filter by name").fill("WEB");
      await expect(row).toBeVisible();
      await page.getByLabel("Filter by name").fill("");

      // Upload: a file that is no certificate is refused beside the file field, and nothing
      // is made (the same name is free afterwards); a PEM bundle read from a file is taken.
      const made = opensslCertificate("/CN=uploaded.example.com/O=Upload Test");
      await page.getByRole("button", { name: "Upload", exact: true }).click();
      const upload = page.getByRole("dialog", { name: "Upload a certificate" });
      await upload.getByLabel("Name", { exact: true }).fill("uploaded-pem");
      const fileField = upload.getByLabel("Certificate file");
      await expect(fileField).toHaveAttribute("accept", ".pem,.crt,.cer,.der,.pfx,.p12");
      const broken = "-----BEGIN CERTIFICATE-----\nthis is not a certificate at all\n-----END CERTIFICATE-----\n";
      await fileField.setInputFiles({ name: "broken.pem", mimeType: "application/x-pem-file", buffer: Buffer.from(broken) });
      await expect(upload.getByRole("button", { name: "Upload certificate" })).toBeEnabled();
      await upload.getByRole("button", { name: "Upload certificate" }).click();
      await expect(upload.locator("#field-file-error")).not.toBeEmpty();
      await expect(fileField).toHaveAttribute("aria-invalid", "true");
      await expect(upload.locator("#field-name-error")).toBeEmpty();
      if (width < 800) {
        expect(await upload.evaluate((e) => e.scrollWidth <= e.clientWidth), "the upload sheet does not scroll sideways").toBe(true);
      }
      await snap(page, `upload-certificate-refused-${width}`);
      await fileField.setInputFiles({ name: "uploaded.pem", mimeType: "application/x-pem-file", buffer: made.bundle });
      await expect(upload.locator('input[name="file_base64"]')).toHaveValue(made.bundle.toString("base64"));
      await upload.getByRole("button", { name: "Upload certificate" }).click();
      await expect(page.getByRole("heading", { level: 1, name: /uploaded-pem/ })).toBeVisible();
      await expect(page.getByRole("status")).toContainText("Certificate uploaded.");
      await expect(fact(page, "Subject")).toContainText("CN=uploaded.example.com");
      await expect(fact(page, "Origin")).toHaveText("Uploaded");
      await expect(fact(page, "Private key")).toHaveText("Stored (sealed)");
      await expect(fact(page, "SHA-256 fingerprint")).toHaveText(made.fingerprint);

      // A PFX (binary) with its password: a wrong one is refused beside the password field.
      await page.goto(`/vaults/${vaultId}/certificates`);
      await waitForHydration(page);
      await page.getByRole("button", { name: "Upload", exact: true }).click();
      await upload.getByLabel("Name", { exact: true }).fill("uploaded-pfx");
      await upload.getByLabel("Certificate file").setInputFiles({ name: "leaf.pfx", mimeType: "application/x-pkcs12", buffer: made.pfx });
      await expect(upload.locator('input[name="file_base64"]')).toHaveValue(made.pfx.toString("base64"));
      await upload.getByLabel("PFX password").fill("not the password");
      await upload.getByRole("button", { name: "Upload certificate" }).click();
      await expect(upload.locator("#field-password-error")).not.toBeEmpty();
      await expect(upload.locator("#field-file-error")).toBeEmpty();
      await upload.getByLabel("PFX password").fill("pfx-pass-42");
      await upload.getByRole("button", { name: "Upload certificate" }).click();
      await expect(page.getByRole("heading", { level: 1, name: /uploaded-pfx/ })).toBeVisible();
      await expect(fact(page, "SHA-256 fingerprint")).toHaveText(made.fingerprint);
      await expect(fact(page, "Private key")).toHaveText("Stored (sealed)");

      // The tab lists exactly the three certificates made.
      await page.goto(`/vaults/${vaultId}/certificates`);
      await waitForHydration(page);
      await expect(page.locator("tbody tr")).toHaveCount(3);
      await expect(page.getByRole("row").filter({ hasText: "uploaded-pem" })).toContainText("O=Upload Test");
      if (width < 800) await fitsPhone(page, "Certificates tab");
      await snap(page, `certificates-${width}`);
      expect(errors).toEqual([]);
    });
  });
}

// Who sees which controls (SPEC §2): a Read-only member sees the list and the chain, but no
// way to add a certificate, download one or change its visibility.
test("a Read-only member sees certificates and their chain, and nothing to change or download", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const stamp = Date.now();
  const project = `Certificate roles ${stamp}`;
  const vaultId = await openVaultTab(page, project, "roles", "certificates");
  await page.getByRole("button", { name: "New self-signed" }).click();
  await page.getByLabel("Name", { exact: true }).fill("shared-cert");
  await page.getByLabel("Common name").fill("shared.example.test");
  await page.getByRole("button", { name: "Create certificate" }).click();
  await expect(page.getByRole("heading", { level: 1, name: /shared-cert/ })).toBeVisible();
  const certPath = new URL(page.url()).pathname;

  const [readerPage] = await joinProject(page, browser, project, [[person("Certificate Reader", "reader.cert", stamp), "read_only"]]);

  await readerPage.goto(`/vaults/${vaultId}/certificates`);
  await waitForHydration(readerPage);
  await expect(readerPage.getByRole("link", { name: "shared-cert" })).toBeVisible();
  await expect(readerPage.getByRole("button", { name: "New self-signed" })).toHaveCount(0);
  await expect(readerPage.getByRole("button", { name: "Upload", exact: true })).toHaveCount(0);
  await readerPage.goto(certPath);
  await waitForHydration(readerPage);
  await expect(readerPage.locator("#chain-pem")).toContainText("-----BEGIN CERTIFICATE-----");
  await expect(readerPage.getByRole("link", { name: "Download PEM" })).toHaveCount(0);
  await expect(readerPage.getByRole("button", { name: "Make public…" })).toHaveCount(0);
  await expect(readerPage.getByRole("button", { name: "Edit tags" })).toHaveCount(0);
  expect((await readerPage.request.get(`${certPath}/download`)).status()).toBe(403);
  expect(errors).toEqual([]);
});
