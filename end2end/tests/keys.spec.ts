import { generateKeyPairSync } from "node:crypto";
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

// A key's life in the UI, as a new user meets it, at the desktop and the phone width: the
// Keys tab, a generated Ed25519 key downloaded as PEM and OpenSSH, its public half shared by
// token (fetched like a machine would, then cut off), disabled and enabled, and an EC key
// uploaded from a file after a pasted piece of garbage was refused beside its field.
for (const width of [1280, 390]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width > 800 ? 800 : 844 } });

    test("generate, download, publish and unpublish a key; upload one", async ({ page, request, context, baseURL }) => {
      await context.grantPermissions(["clipboard-read", "clipboard-write"]);
      const errors = watchConsole(page);
      await openVault(page, "Key ring", `keys-${width}`);
      const vaultId = vaultIdOf(page);
      const vaultName = `keys-${width}`;

      // The Keys tab sits between Secrets and Access keys and says what keys are for.
      const tabs = page.getByRole("navigation", { name: "Vault sections" }).getByRole("link");
      await expect(tabs).toHaveText(["Secrets", "Keys", "Certificates", "Access keys", "Settings"]);
      await tabs.filter({ hasText: /^Keys$/ }).click();
      await expect(page).toHaveURL(new RegExp(`/vaults/${vaultId}/keys$`));
      await expect(page.getByText("No keys yet")).toBeVisible();
      await expect(page.locator(".empty-state")).toContainText("key pairs");
      if (width < 800) await noSidewaysScroll(page, "empty Keys tab");

      // Generate: Ed25519 is the default; a missing name is refused beside the field.
      await page.getByRole("button", { name: "New key" }).click();
      const sheet = page.getByRole("dialog", { name: "New key" });
      await expect(sheet.getByRole("button", { name: "Generate", exact: true })).toHaveAttribute("aria-pressed", "true");
      await expect(sheet.getByLabel("Key type")).toHaveValue("ed25519");
      await expect(sheet.getByLabel("Key type").locator("option")).toHaveText([
        "Ed25519",
        "EC P-256",
        "EC P-384",
        "RSA 2048",
        "RSA 3072",
        "RSA 4096",
      ]);
      await sheet.getByRole("button", { name: "Generate key" }).click();
      await expect(sheet.locator("#field-name-error")).not.toBeEmpty();
      await expect(sheet.getByLabel("Name", { exact: true })).toHaveAttribute("aria-invalid", "true");
      await sheet.getByLabel("Name", { exact: true }).fill("deploy-signing");
      await sheet.getByLabel("Output format").selectOption("both");
      await sheet.getByLabel("Tags").fill("ci, signing");
      await snap(page, `new-key-generate-${width}`);
      await sheet.getByRole("button", { name: "Generate key" }).click();

      // The new key's page: trail, facts, public half in both forms.
      await expect(page.getByRole("heading", { level: 1, name: /deploy-signing/ })).toBeVisible();
      await expect(page).toHaveURL(/\/keys\/[0-9a-f-]{36}$/);
      await expect(page.getByRole("status")).toContainText("Key generated.");
      await waitForHydration(page);
      const keyPath = new URL(page.url()).pathname;
      const keyId = keyPath.split("/").pop() ?? "";
      const trail = page.getByRole("navigation", { name: "Breadcrumb" });
      await expect(trail.getByRole("link", { name: "Key ring", exact: true })).toBeVisible();
      await expect(trail.getByRole("link", { name: vaultName, exact: true })).toHaveAttribute("href", `/vaults/${vaultId}/keys`);
      await expect(fact(page, "Type")).toHaveText("Ed25519");
      await expect(fact(page, "Formats")).toHaveText("PEM and OpenSSH");
      await expect(fact(page, "Origin")).toHaveText("Generated");
      await expect(fact(page, "Status")).toHaveText("Active");
      await expect(fact(page, "Tags")).toHaveText("ci, signing");
      await expect(fact(page, "Public")).toHaveText("No");
      await expect(page.locator("#public-pem")).toContainText("-----BEGIN PUBLIC KEY-----");
      await expect(page.locator("#public-openssh")).toHaveText(/^ssh-ed25519 \S+ deploy-signing$/);
      await page.getByRole("button", { name: "Copy public key" }).click();
      await expect(page.getByRole("status")).toContainText("Public key copied.");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toContain("-----BEGIN PUBLIC KEY-----");

      // Downloads of the private half, in both offered forms.
      const pem = await download(page, "Download PEM");
      expect(pem.file).toBe("deploy-signing.pem");
      expect(pem.text).toContain("-----BEGIN PRIVATE KEY-----");
      const ssh = await download(page, "Download OpenSSH");
      expect(ssh.text).toContain("-----BEGIN OPENSSH PRIVATE KEY-----");
      if (width < 800) await fitsPhone(page, "key page");
      await snap(page, `key-${width}`);

      // Make public: the token is shown once, with the link and a curl command.
      const url = `${new URL(baseURL ?? page.url()).origin}/api/v1/keys/${keyId}`;
      const handOff = await makePublic(page, "key", url);
      const { sheet: publish, token, link } = handOff;
      await publish.getByRole("button", { name: "Copy link" }).click();
      await expect(page.getByRole("status")).toContainText("Link copied.");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
      await snap(page, `key-public-token-${width}`);

      // A machine fetches the public half with the link, or with the token in a header.
      const fetched = await request.get(link);
      expect(fetched.status()).toBe(200);
      const body = await fetched.text();
      expect(body).toContain("-----BEGIN PUBLIC KEY-----");
      expect(body).not.toContain("PRIVATE KEY");
      const byHeader = await request.get(url, { headers: { Authorization: `Bearer ${token}` } });
      expect(byHeader.status()).toBe(200);

      // Done forgets the token; the page says the key is public.
      await closeHandOff(page, handOff);
      await trail.getByRole("link", { name: vaultName, exact: true }).click();
      await expect(page.getByRole("row").filter({ hasText: "deploy-signing" }).locator(".badge", { hasText: "Public" })).toBeVisible();
      await page.getByRole("link", { name: "deploy-signing", exact: true }).click();
      await expect(page.getByRole("heading", { level: 1, name: /deploy-signing/ })).toBeVisible();

      // A new token stops the old one at once.
      await page.getByRole("button", { name: "Issue a new token…" }).click();
      const reissue = page.getByRole("dialog", { name: "New public token" });
      await expect(reissue).toContainText("old token stops working");
      await reissue.getByRole("button", { name: "Issue a new token", exact: true }).click();
      const newLink = (await reissue.locator("#public-link").textContent()) ?? "";
      expect(newLink).not.toBe(link);
      await reissue.getByRole("button", { name: "Done" }).click();
      expect((await request.get(link)).status()).toBe(401);
      expect((await request.get(newLink)).status()).toBe(200);

      // Making it private revokes the token: the same link now answers 401.
      await makePrivate(page, "key");
      await expect(page.getByRole("button", { name: "Make public…" })).toBeVisible();
      const refused = await request.get(newLink);
      expect(refused.status()).toBe(401);
      expect(await refused.text()).not.toContain("PUBLIC KEY");

      // Disabling asks first; enabling does not.
      await page.getByRole("button", { name: "Disable…" }).click();
      const disable = page.getByRole("dialog", { name: "Disable this key?" });
      await disable.getByRole("button", { name: "Disable" }).click();
      await expect(page.locator("h1 .badge").first()).toHaveText("Disabled");
      await page.getByRole("button", { name: "Enable", exact: true }).click();
      await expect(page.locator("h1 .badge").first()).toHaveText("Active");

      // Edit details: tags and dates, beside their fields when refused.
      await page.getByRole("button", { name: "Edit details" }).click();
      const details = page.getByRole("dialog", { name: "Edit details" });
      await expect(details.getByLabel("Tags")).toHaveValue("ci, signing");
      await details.getByLabel("Tags").fill("ci, signing, rotated");
      await details.getByLabel("Expiration (UTC)").fill("2035-01-31T12:00");
      await details.getByRole("button", { name: "Save details" }).click();
      await expect(page.getByRole("status")).toContainText("Details saved.");
      await expect(fact(page, "Tags")).toHaveText("ci, signing, rotated");
      await expect(fact(page, "Expiration")).toHaveText("2035-01-31 12:00 UTC");

      // The Keys tab lists it, and the filter narrows by name.
      await trail.getByRole("link", { name: vaultName, exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/vaults/${vaultId}/keys$`));
      const row = page.getByRole("row").filter({ hasText: "deploy-signing" });
      await expect(row).toContainText("Ed25519");
      await expect(row).toContainText("PEM and OpenSSH");
      await expect(row).toContainText("Generated");
      await expect(row).toContainText("Active");
      await expect(row).toContainText("2035-01-31 12:00 UTC");
      await page.getByLabel("Filter by name").fill("nothing-like-it");
      await expect(page.getByText("No key matches this filter")).toBeVisible();
      await page.getByLabel("Filter by name").fill("DEPLOY");
      await expect(row).toBeVisible();
      await page.getByLabel("Filter by name").fill("");

      // Upload: garbage is refused beside the box; a PEM read from a file is taken.
      const { privateKey, publicKey } = generateKeyPairSync("ec", {
        namedCurve: "P-256",
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
        publicKeyEncoding: { type: "spki", format: "pem" },
      });
      await page.getByRole("button", { name: "New key" }).click();
      await sheet.getByRole("button", { name: "Upload", exact: true }).click();
      await expect(sheet.getByRole("button", { name: "Upload", exact: true })).toHaveAttribute("aria-pressed", "true");
      await expect(sheet.getByLabel("Key type")).toHaveCount(0);
      await sheet.getByLabel("Name", { exact: true }).fill("uploaded-p256");
      const box = sheet.getByLabel("Private key", { exact: true });
      await box.fill("this is not a private key at all");
      await sheet.getByRole("button", { name: "Upload key" }).click();
      await expect(sheet.locator("#field-private_key-error")).not.toBeEmpty();
      await expect(box).toHaveAttribute("aria-invalid", "true");
      await snap(page, `new-key-upload-refused-${width}`);
      await sheet.getByLabel("Or read the key from a file").setInputFiles({
        name: "p256.pem",
        mimeType: "application/x-pem-file",
        buffer: Buffer.from(privateKey),
      });
      await expect(box).toHaveValue(privateKey);
      await sheet.getByRole("button", { name: "Upload key" }).click();
      await expect(page.getByRole("heading", { level: 1, name: /uploaded-p256/ })).toBeVisible();
      await expect(page.getByRole("status")).toContainText("Key uploaded.");
      await expect(fact(page, "Type")).toHaveText("EC P-256");
      await expect(fact(page, "Origin")).toHaveText("Uploaded");
      await expect(fact(page, "Formats")).toHaveText("PEM");
      expect(((await page.locator("#public-pem").textContent()) ?? "").trim()).toBe(publicKey.trim());
      await expect(page.locator("#public-openssh")).toHaveCount(0);
      await expect(page.getByRole("link", { name: "Download OpenSSH" })).toHaveCount(0);

      await page.goto(`/vaults/${vaultId}/keys`);
      await waitForHydration(page);
      await expect(page.getByRole("row").filter({ hasText: "uploaded-p256" })).toContainText("EC P-256");
      await expect(page.getByRole("row").filter({ hasText: "uploaded-p256" })).toContainText("Uploaded");
      if (width < 800) await fitsPhone(page, "Keys tab");
      await snap(page, `keys-${width}`);
      expect(errors).toEqual([]);
    });
  });
}

// Who sees which controls (SPEC §2): a Contributor downloads keys but makes none unless the
// vault allows it; a Read-only member sees the public half only.
test("a Contributor downloads but cannot make keys until allowed; Read-only sees the public half only", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const stamp = Date.now();
  const project = `Key roles ${stamp}`;
  const vaultId = await openVaultTab(page, project, "roles", "keys");
  await page.getByRole("button", { name: "New key" }).click();
  await page.getByLabel("Name", { exact: true }).fill("shared-key");
  await page.getByRole("button", { name: "Generate key" }).click();
  await expect(page.getByRole("heading", { level: 1, name: /shared-key/ })).toBeVisible();
  const keyPath = new URL(page.url()).pathname;

  const [contributorPage, readerPage] = await joinProject(page, browser, project, [
    [person("Key Contributor", "contributor.key", stamp), "contributor"],
    [person("Key Reader", "reader.key", stamp), "read_only"],
  ]);

  // The Contributor: the Keys tab and downloads, but no New key or visibility controls.
  await contributorPage.goto(`/vaults/${vaultId}/keys`);
  await waitForHydration(contributorPage);
  await expect(contributorPage.getByRole("link", { name: "shared-key" })).toBeVisible();
  await expect(contributorPage.getByRole("button", { name: "New key" })).toHaveCount(0);
  await contributorPage.goto(keyPath);
  await waitForHydration(contributorPage);
  await expect(contributorPage.getByRole("link", { name: "Download PEM" })).toBeVisible();
  await expect(contributorPage.getByRole("button", { name: "Make public…" })).toHaveCount(0);
  await expect(contributorPage.getByRole("button", { name: "Edit details" })).toHaveCount(0);

  // The vault lets Contributors manage keys: now they may.
  await page.goto(`/vaults/${vaultId}/settings`);
  await waitForHydration(page);
  await page.getByLabel("Contributors may create keys and certificates").check();
  await page.getByRole("button", { name: "Save access settings" }).click();
  await expect(page.getByRole("status")).toContainText("Access settings saved.");
  await contributorPage.reload();
  await waitForHydration(contributorPage);
  await expect(contributorPage.getByRole("button", { name: "Make public…" })).toBeVisible();
  await expect(contributorPage.getByRole("button", { name: "Edit details" })).toBeVisible();

  // The Read-only member: the list and the public half, nothing to download or change.
  await readerPage.goto(`/vaults/${vaultId}/keys`);
  await waitForHydration(readerPage);
  await expect(readerPage.getByRole("link", { name: "shared-key" })).toBeVisible();
  await expect(readerPage.getByRole("button", { name: "New key" })).toHaveCount(0);
  await readerPage.goto(keyPath);
  await waitForHydration(readerPage);
  await expect(readerPage.locator("#public-pem")).toContainText("-----BEGIN PUBLIC KEY-----");
  await expect(readerPage.getByText("Your role shows this key's public half, not its private key.")).toBeVisible();
  await expect(readerPage.getByRole("link", { name: "Download PEM" })).toHaveCount(0);
  await expect(readerPage.getByRole("button", { name: "Make public…" })).toHaveCount(0);
  const refused = await readerPage.request.get(`${keyPath}/download?format=pem`);
  expect(refused.status()).toBe(403);
  expect(errors).toEqual([]);
});
