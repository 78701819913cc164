//! The Certificates tab of a vault: the vault's certificates in a table with a name filter,
//! and two ways to add one, each in its own sheet — "New self-signed" (a key and a certificate
//! made here from a subject) and "Upload" (a PEM/CRT bundle, a DER certificate or a PFX with
//! its password, read in the browser and sent base64-encoded). A new certificate opens on its
//! own page.

use crate::api::certificates::{GenerateCertificate, UploadCertificate};
use crate::domain::certificate::{CertRow, VALIDITY_MAX_DAYS};
use crate::domain::key::KeyAlgorithm;
use crate::domain::org::VaultDetail;
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{ErrorSignal, Field, FormError, SelectField, action_error};
use crate::ui::components::list_tab::{AddWay, ListTab, ListWords, open_created};
use crate::ui::components::reload::Reloading;
use crate::ui::pages::secrets::status_class;
use leptos::prelude::*;

/// The key type picked first for a self-signed certificate: EC P-256 is what TLS clients
/// accept most widely (browsers refuse Ed25519 certificates), at a fraction of RSA's cost.
const DEFAULT_ALGORITHM: KeyAlgorithm = KeyAlgorithm::EcP256;

/// The validity a self-signed certificate is offered with, in days.
const DEFAULT_VALIDITY_DAYS: &str = "365";

/// The file types the upload offers to pick (the server reads the content, not the name).
const UPLOAD_ACCEPT: &str = ".pem,.crt,.cer,.der,.pfx,.p12";

/// A certificate's key type as people read it; "Unknown" when Secryn could not tell (an
/// uploaded certificate with a key type it does not make).
pub fn key_type_label(algorithm: Option<KeyAlgorithm>) -> String {
    algorithm.map(KeyAlgorithm::label).unwrap_or_else(|| "Unknown".to_owned())
}

/// A day as tables show it (`2027-02-11`, UTC): a certificate's validity ends on a date.
pub fn day(t: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_micros(t)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

/// What the Certificates tab says.
const WORDS: ListWords = ListWords {
    one: "certificate",
    many: "certificates",
    about: "Certificates are X.509 certificates with their chain and, when there is one, their private key: Secryn keeps the key sealed, people download the bundle, machines fetch it with an access key, and a certificate made public shares its chain by link.",
    how_to_add: "Use “New self-signed” to make one here, or “Upload” to add a PEM, CRT, DER or PFX file.",
    columns: &["Name", "Common name", "Issuer", "Key type", "Expires", "Status"],
};

/// The Certificates tab. Everyone who sees the vault sees the list; the two ways to add a
/// certificate are shown only to those who may create them (the same rule as keys: Admins,
/// Project Managers, and Contributors when the vault allows it).
#[component]
pub fn CertificatesTab(vault: VaultDetail, certificates: Reloading<Vec<CertRow>>) -> impl IntoView {
    let may_manage = can(vault.viewer, Action::ManageKeysAndCertificates, Target::Vault(vault.project, vault.vault))
        == Decision::Allow;
    let vid = StoredValue::new(vault.id.to_string());
    let ways = vec![
        AddWay {
            button: "New self-signed",
            title: "New self-signed certificate",
            id: "new-self-signed",
            form: ViewFn::from(move || view! { <GenerateForm vault_id=vid.get_value() /> }),
        },
        AddWay {
            button: "Upload",
            title: "Upload a certificate",
            id: "upload-certificate",
            form: ViewFn::from(move || view! { <UploadForm vault_id=vid.get_value() /> }),
        },
    ];
    view! {
        <ListTab words=WORDS list=certificates.list may_add=may_manage name=certificate_name row=certificate_row ways />
    }
}

fn certificate_name(r: &CertRow) -> &str {
    &r.meta.name
}

fn certificate_row(r: CertRow) -> impl IntoView {
    let m = r.meta;
    view! {
        <tr>
            <td data-label="Name" class="wrap-anywhere"><a href=format!("/certificates/{}", m.id)>{m.name.clone()}</a></td>
            <td data-label="Common name" class="wrap-anywhere">{m.common_name.clone()}</td>
            <td data-label="Issuer" class="wrap-anywhere">{m.issuer.clone()}</td>
            <td data-label="Key type" class="nowrap">{key_type_label(m.key_algorithm)}</td>
            <td data-label="Expires" class="nowrap">{day(m.not_after)}</td>
            <td data-label="Status" class="nowrap">
                <span class="access-badges">
                    <span class=status_class(r.status)>{r.status.label()}</span>
                    {m.public.then(|| view! { <span class="badge accent">"Public"</span> })}
                </span>
            </td>
        </tr>
    }
}

/// Name and tags: asked by both ways of adding a certificate.
#[component]
fn NameAndTags(errors: ErrorSignal) -> impl IntoView {
    view! {
        <Field label="Name" name="name" errors maxlength=128 autofocus=true
            hint="Letters, digits and _ . - (unique in the vault). A certificate never changes once added." />
        <Field label="Tags" name="tags" errors maxlength=600 hint="Comma-separated, for example prod, tls." />
    }
}

/// The self-signed form: the subject (common name required, the rest optional), the key
/// type, the validity and the subject alternative names.
#[component]
fn GenerateForm(vault_id: String) -> impl IntoView {
    let generate = FormAction::<GenerateCertificate>::new();
    let errors = action_error(generate);
    open_created(move || generate.value().get(), "Certificate created.", "/certificates");
    let algorithms = KeyAlgorithm::ALL.into_iter().map(|a| (a.as_str().to_owned(), a.label())).collect();
    let pending = generate.pending();
    view! {
        <PostForm action=generate attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="vault_id" value=vault_id />
            <NameAndTags errors />
            <Field label="Common name" name="common_name" errors maxlength=64
                hint="The subject's name, such as the server's host name (api.example.com)." />
            <Field label="Subject alternative names" name="alt_names" errors maxlength=8000
                hint="Optional: DNS names (*.example.com too) or IP addresses, separated by commas or spaces. TLS clients check these names." />
            <SelectField label="Key type" name="algorithm" errors options=algorithms selected=DEFAULT_ALGORITHM.as_str()
                hint="EC P-256 suits most TLS clients; RSA suits older ones. Browsers refuse Ed25519 certificates." />
            <Field label="Validity (days)" name="validity_days" kind="number" errors value=DEFAULT_VALIDITY_DAYS
                hint="From the moment it is made; at most 36500 days." />
            <fieldset class="subject-fields">
                <legend>"More of the subject (optional)"</legend>
                <Field label="Organization" name="organization" errors maxlength=64 />
                <Field label="Organizational unit" name="unit" errors maxlength=64 />
                <Field label="Country" name="country" errors maxlength=2 hint="Two letters, such as DE or US." />
                <Field label="State or province" name="state" errors maxlength=64 />
                <Field label="Locality" name="locality" errors maxlength=64 />
                <Field label="E-mail" name="email" kind="email" errors maxlength=64 />
            </fieldset>
            <button class="button primary" type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Creating…" } else { "Create certificate" }}
            </button>
        </PostForm>
    }
}

/// The upload form. The chosen file is read here and its bytes travel base64-encoded in the
/// hidden `file_base64` field (a PFX is binary); the server reads what it is, so the file's
/// name only narrows the picker. Submitting waits while the file is still being read.
#[component]
fn UploadForm(vault_id: String) -> impl IntoView {
    let upload = FormAction::<UploadCertificate>::new();
    let errors = action_error(upload);
    open_created(move || upload.value().get(), "Certificate uploaded.", "/certificates");
    let pending = upload.pending();
    let file = CertificateFile::new();
    view! {
        <PostForm action=upload attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="vault_id" value=vault_id />
            <NameAndTags errors />
            <FileField errors file />
            <Field label="PFX password" name="password" kind="password" errors maxlength=1024
                hint="Only for a PFX/PKCS#12 file; leave empty for PEM, CRT and DER." />
            <button class="button primary" type="submit" disabled=move || pending.get() || file.reading.get()>
                {move || if file.reading.get() { "Reading the file…" } else { "Upload certificate" }}
            </button>
        </PostForm>
    }
}

/// The file being uploaded, as the form holds it: its bytes base64-encoded (what is sent),
/// whether it is still being read, and a refusal made here before sending (too large,
/// unreadable).
#[derive(Clone, Copy)]
struct CertificateFile {
    encoded: RwSignal<String>,
    reading: RwSignal<bool>,
    refused: RwSignal<Option<String>>,
}

impl CertificateFile {
    fn new() -> Self {
        CertificateFile {
            encoded: RwSignal::new(String::new()),
            reading: RwSignal::new(false),
            refused: RwSignal::new(None),
        }
    }
}

/// The file chooser, the hidden field its content is sent in, and the error beside it — the
/// server's (`file`: not a certificate, a bad bundle) or this page's own.
#[component]
fn FileField(errors: ErrorSignal, file: CertificateFile) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let message = move || file.refused.get().or_else(|| errors.get().and_then(|e| e.for_field("file")));
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for="field-file">"Certificate file"</label>
            <input id="field-file" type="file" accept=UPLOAD_ACCEPT node_ref=input
                aria-invalid=move || message().is_some().to_string()
                aria-describedby="field-file-hint field-file-error"
                on:change=move |_| read_file(input, file) />
            <input type="hidden" name="file_base64" prop:value=move || file.encoded.get() />
            <p class="hint" id="field-file-hint">"A PEM or CRT bundle (certificate, chain, optionally an unencrypted private key), a DER certificate, or a PFX/PKCS#12 file. Subject, issuer, serial and dates are read from the certificate."</p>
            <p class="field-error" id="field-file-error">{message}</p>
        </div>
    }
}

/// Reads the file chosen in `input` into `file` (browser only): its bytes, base64-encoded, or
/// a refusal when it is too large or cannot be read.
fn read_file(input: NodeRef<leptos::html::Input>, file: CertificateFile) {
    file.refused.set(None);
    file.encoded.set(String::new());
    #[cfg(feature = "hydrate")]
    {
        let Some(chosen) = input.get().and_then(|i| i.files()).and_then(|f| f.get(0)) else {
            return;
        };
        if chosen.size() > crate::domain::certificate::UPLOAD_MAX as f64 {
            file.refused.set(Some(too_large()));
            return;
        }
        file.reading.set(true);
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(chosen.array_buffer()).await {
                Ok(buffer) => {
                    let bytes = zeroize::Zeroizing::new(web_sys::js_sys::Uint8Array::new(&buffer).to_vec());
                    file.encoded.set(base64_encode(&bytes));
                }
                Err(_) => file.refused.set(Some("The file could not be read; choose it again.".to_owned())),
            }
            file.reading.set(false);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = input;
}

/// What the page says of a file over the upload limit (the server says the same).
#[cfg(feature = "hydrate")]
fn too_large() -> String {
    let limit = crate::domain::certificate::UPLOAD_MAX / 1024;
    format!("This file is too large for a certificate bundle (at most {limit} KiB).")
}

/// Standard base64 with padding (RFC 4648 §4), as the server decodes `file_base64`. Written
/// out here because the browser build carries no base64 crate, and these few lines cost less
/// than one.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // Every index is masked to six bits, so it is always inside the 64-entry alphabet.
    let sextet = |n: u32, shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let (b0, b1, b2) = match *chunk {
            [a, b, c] => (a, Some(b), Some(c)),
            [a, b] => (a, Some(b), None),
            [a] => (a, None, None),
            _ => continue,
        };
        let n = (u32::from(b0) << 16) | (u32::from(b1.unwrap_or(0)) << 8) | u32::from(b2.unwrap_or(0));
        out.push(sextet(n, 18));
        out.push(sextet(n, 12));
        out.push(if b1.is_some() { sextet(n, 6) } else { '=' });
        out.push(if b2.is_some() { sextet(n, 0) } else { '=' });
    }
    out
}

// The validity hint says "at most 36500 days": the build fails if the limit changes alone.
const _: () = assert!(VALIDITY_MAX_DAYS == 36_500);

#[cfg(test)]
mod tests {
    use super::{base64_encode, day};

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
        }
        assert_eq!(base64_encode(&[0xfb, 0xff, 0xfe]), "+//+");
    }

    #[test]
    fn days_are_utc_dates() {
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(1_801_353_600_000_000), "2027-01-31");
    }
}
