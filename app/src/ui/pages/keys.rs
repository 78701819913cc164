//! The Keys tab of a vault: the vault's key pairs in a table with a name filter, and "New key"
//! in a sheet with two ways to make one — generate it here, or upload a private key (pasted,
//! or read from a file into the same box). A new key opens on its own page.

use crate::api::keys::{GenerateKey, UploadKey};
use crate::domain::key::{KeyAlgorithm, KeyRow, Origin, OutputFormat};
use crate::domain::org::VaultDetail;
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::domain::time::short;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{ErrorSignal, Field, FormError, SelectField, action_error};
use crate::ui::components::list_tab::{AddWay, ListTab, ListWords, open_created};
use crate::ui::components::reload::Reloading;
use crate::ui::pages::secrets::{load_file, status_class};
use leptos::prelude::*;

/// How a key came to be, as people read it.
pub fn origin_label(o: Origin) -> &'static str {
    match o {
        Origin::Generated => "Generated",
        Origin::Uploaded => "Uploaded",
    }
}

/// The output formats as a select offers them.
fn format_options() -> Vec<(String, String)> {
    OutputFormat::ALL.into_iter().map(|f| (f.as_str().to_owned(), f.label().to_owned())).collect()
}

/// What the Keys tab says.
const WORDS: ListWords = ListWords {
    one: "key",
    many: "keys",
    about: "Keys are key pairs (RSA, EC or Ed25519) for signing, encryption and SSH: Secryn keeps the private half sealed, people download it, machines fetch it with an access key, and a key made public shares its public half by link.",
    how_to_add: "Use “New key” to generate one or upload your own.",
    columns: &["Name", "Type", "Formats", "Origin", "Status", "Expires"],
};

#[component]
pub fn KeysTab(vault: VaultDetail, keys: Reloading<Vec<KeyRow>>) -> impl IntoView {
    let may_manage = can(vault.viewer, Action::ManageKeysAndCertificates, Target::Vault(vault.project, vault.vault))
        == Decision::Allow;
    let vid = vault.id.to_string();
    let ways = vec![AddWay {
        button: "New key",
        title: "New key",
        id: "new-key",
        form: ViewFn::from(move || view! { <NewKey vault_id=vid.clone() /> }),
    }];
    view! { <ListTab words=WORDS list=keys.list may_add=may_manage name=key_name row=key_row ways /> }
}

fn key_name(r: &KeyRow) -> &str {
    &r.meta.name
}

fn key_row(r: KeyRow) -> impl IntoView {
    let m = r.meta;
    view! {
        <tr>
            <td data-label="Name" class="wrap-anywhere"><a href=format!("/keys/{}", m.id)>{m.name.clone()}</a></td>
            <td data-label="Type">{m.algorithm.label()}</td>
            <td data-label="Formats">{m.output_format.label()}</td>
            <td data-label="Origin">{origin_label(m.origin)}</td>
            <td data-label="Status">
                <span class="access-badges">
                    <span class=status_class(r.status)>{r.status.label()}</span>
                    {m.public.then(|| view! { <span class="badge accent">"Public"</span> })}
                </span>
            </td>
            <td data-label="Expires">{m.expiration_at.map(short).unwrap_or_else(|| "Never".to_owned())}</td>
        </tr>
    }
}

/// The two ways to make a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Generate,
    Upload,
}

/// The sheet's content: a switch between the two ways, and the chosen way's form (only one
/// form exists at a time, so their fields keep the usual ids).
#[component]
fn NewKey(vault_id: String) -> impl IntoView {
    let mode = RwSignal::new(Mode::Generate);
    let vault_id = StoredValue::new(vault_id);
    let switch = [(Mode::Generate, "Generate"), (Mode::Upload, "Upload")]
        .into_iter()
        .map(|(m, label)| {
            view! {
                <button class="button" type="button" aria-pressed=move || (mode.get() == m).to_string()
                    aria-controls="new-key-form" on:click=move |_| mode.set(m)>{label}</button>
            }
        })
        .collect_view();
    view! {
        <div class="stack">
            <div class="button-row mode-switch" role="group" aria-label="How to make the key">{switch}</div>
            <div id="new-key-form">
                {move || match mode.get() {
                    Mode::Generate => view! { <GenerateForm vault_id=vault_id.get_value() /> }.into_any(),
                    Mode::Upload => view! { <UploadForm vault_id=vault_id.get_value() /> }.into_any(),
                }}
            </div>
        </div>
    }
}

#[component]
fn GenerateForm(vault_id: String) -> impl IntoView {
    let generate = FormAction::<GenerateKey>::new();
    let errors = action_error(generate);
    open_created(move || generate.value().get(), "Key generated.", "/keys");
    let algorithms = KeyAlgorithm::ALL.into_iter().map(|a| (a.as_str().to_owned(), a.label())).collect();
    let pending = generate.pending();
    view! {
        <PostForm action=generate attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="vault_id" value=vault_id />
            <Field label="Name" name="name" errors maxlength=128 autofocus=true
                hint="Letters, digits and _ . - (unique in the vault). A key never changes once made." />
            <SelectField label="Key type" name="algorithm" errors options=algorithms
                hint="Ed25519 is small and fast; RSA and EC suit older tools." />
            <SelectField label="Output format" name="output_format" errors options=format_options()
                hint="PEM is always offered; OpenSSH adds the form ssh tools read." />
            <DetailFields errors />
            <button class="button primary" type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Generating…" } else { "Generate key" }}
            </button>
        </PostForm>
    }
}

#[component]
fn UploadForm(vault_id: String) -> impl IntoView {
    let upload = FormAction::<UploadKey>::new();
    let errors = action_error(upload);
    open_created(move || upload.value().get(), "Key uploaded.", "/keys");
    let pending = upload.pending();
    view! {
        <PostForm action=upload attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="vault_id" value=vault_id />
            <Field label="Name" name="name" errors maxlength=128 autofocus=true
                hint="Letters, digits and _ . - (unique in the vault). A key never changes once made." />
            <PrivateKeyField errors />
            <SelectField label="Output format" name="output_format" errors options=format_options()
                hint="PEM is always offered; OpenSSH adds the form ssh tools read." />
            <DetailFields errors />
            <button class="button primary" type="submit" disabled=move || pending.get()>"Upload key"</button>
        </PostForm>
    }
}

/// The private key's text box, and a file chooser that reads a file into it (the text box
/// is what is sent, so a chosen file can be checked before uploading).
#[component]
fn PrivateKeyField(errors: ErrorSignal) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let file = NodeRef::<leptos::html::Input>::new();
    let message = move || errors.get().and_then(|e| e.for_field("private_key"));
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for="field-private_key">"Private key"</label>
            <textarea id="field-private_key" name="private_key" rows="7" autocomplete="off" spellcheck="false"
                placeholder="-----BEGIN PRIVATE KEY-----"
                aria-invalid=move || message().is_some().to_string()
                aria-describedby="field-private_key-hint field-private_key-error"
                prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <p class="hint" id="field-private_key-hint">"PEM (PKCS#8, PKCS#1 or SEC1) or OpenSSH, without a passphrase. The key type is read from the key."</p>
            <p class="field-error" id="field-private_key-error">{message}</p>
        </div>
        <div class="field">
            <label for="key-file">"Or read the key from a file"</label>
            <input id="key-file" type="file" node_ref=file on:change=move |_| load_file(file, text) />
        </div>
    }
}

/// Tags and dates: asked when a key is made and in "Edit details" (with the key's values).
#[component]
pub fn DetailFields(
    errors: ErrorSignal,
    #[prop(optional, into)] tags: String,
    #[prop(optional, into)] activation: String,
    #[prop(optional, into)] expiration: String,
) -> impl IntoView {
    view! {
        <Field label="Tags" name="tags" errors maxlength=600 value=tags hint="Comma-separated, for example prod, signing." />
        <Field label="Activation (UTC)" name="activation_at" kind="datetime-local" errors value=activation
            hint="Optional: machines are refused the key before this time." />
        <Field label="Expiration (UTC)" name="expiration_at" kind="datetime-local" errors value=expiration
            hint="Optional: after this time machines are refused the key as expired." />
    }
}
