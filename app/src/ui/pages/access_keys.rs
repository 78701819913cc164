//! The Access keys tab of a vault: list keys with their use, revoke with a confirmation, and
//! create a key in a sheet that hands it off once — the full key with a copy button and
//! ready-to-paste snippets — and forgets it when closed.

use crate::api::access_keys::{CreateAccessKey, RevokeAccessKey};
use crate::domain::access_key::{AccessKeyInfo, CreatedAccessKey, KeyState, Snippet};
use crate::domain::org::VaultDetail;
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::domain::time::short;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::clipboard::{self, BY_HAND};
use crate::ui::components::dialog::{ConfirmDialog, Sheet};
use crate::ui::components::form::{Field, FormError, action_error};
use crate::ui::components::reload::Reloading;
use crate::ui::components::toast::use_toasts;
use crate::ui::pages::project::load_error;
use leptos::prelude::*;

/// The API base URL clients are configured with (this page's origin plus `/api`).
fn api_base() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return format!("{origin}/api");
    }
    "/api".to_owned()
}

fn state_class(s: KeyState) -> &'static str {
    match s {
        KeyState::Active => "badge ok",
        KeyState::Expired => "badge warn",
        KeyState::Revoked => "badge bad",
    }
}

#[component]
pub fn AccessKeysTab(vault: VaultDetail, keys: Reloading<Vec<AccessKeyInfo>>) -> impl IntoView {
    let toasts = use_toasts();
    // Listing and revoking stay open in an archived project; creating does not.
    let may_create =
        can(vault.viewer, Action::CreateAccessKey, Target::Vault(vault.project, vault.vault)) == Decision::Allow;
    let vid = vault.id.to_string();
    let revoke = FormAction::<RevokeAccessKey>::new();
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(())) => {
            toasts.show("Access key revoked.");
            keys.again();
        }
        Some(Err(e)) => toasts.show(e.message),
        None => {}
    });
    let revoking = RwSignal::new(None::<(String, String)>);
    let confirm_open = RwSignal::new(false);
    let new_open = RwSignal::new(false);
    let head = if may_create {
        view! {
            <div class="toolbar list-head">
                <div class="button-row list-actions">
                    <button class="button primary" type="button" on:click=move |_| new_open.set(true)>"New access key"</button>
                </div>
            </div>
        }
        .into_any()
    } else {
        view! { <p class="muted">"This project is archived: its keys can be revoked, but no new key can be created."</p> }
            .into_any()
    };
    view! {
        {head}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match keys.list.await {
                    Err(e) => load_error(e),
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state">
                            <p class="empty-title">"No access keys yet"</p>
                            <p class="muted">"Create one for each machine that reads this vault (a CI job, a service, the secryn client)."</p>
                        </div>
                    }.into_any(),
                    Ok(list) => view! { <KeyTable list revoking confirm_open /> }.into_any(),
                }
            })}
        </Transition>
        {may_create.then(|| view! {
            <Sheet open=new_open title="New access key".to_owned() id="new-access-key">
                <NewKeyTask vault_id=vid.clone() keys open=new_open />
            </Sheet>
        })}
        <ConfirmDialog
            open=confirm_open
            title=Signal::derive(move || format!("Revoke “{}”?", revoking.get().map(|r| r.1).unwrap_or_default()))
            message="Every machine using this key is refused from its very next request. This cannot be undone.".to_owned()
            confirm_label="Revoke".to_owned()
            danger=true
            on_confirm=move |_| {
                if let Some((id, _)) = revoking.get_untracked() {
                    revoke.call(RevokeAccessKey { id });
                }
            }
        />
    }
}

/// The sheet's content: the form until the key exists, then its hand-off. The action lives in
/// this component, which exists only while the sheet is open, so closing the sheet drops the
/// key and the next opening starts from an empty form.
#[component]
fn NewKeyTask(vault_id: String, keys: Reloading<Vec<AccessKeyInfo>>, open: RwSignal<bool>) -> impl IntoView {
    let create = FormAction::<CreateAccessKey>::new();
    let created = Memo::new(move |_| create.value().with(|v| matches!(v, Some(Ok(_)))));
    Effect::new(move |_| {
        if created.get() {
            keys.again();
        }
    });
    let vault_id = StoredValue::new(vault_id);
    view! {
        <Show when=move || created.get() fallback=move || view! { <NewKeyForm create vault_id=vault_id.get_value() /> }>
            {move || create.value().with_untracked(|v| match v {
                Some(Ok(k)) => Some(view! { <HandOff key=k.clone() open /> }),
                _ => None,
            })}
        </Show>
    }
}

/// Name and expiry; the submit button is disabled while the request is out.
#[component]
fn NewKeyForm(create: FormAction<CreateAccessKey>, vault_id: String) -> impl IntoView {
    let errors = action_error(create);
    view! {
        <PostForm action=create attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="vault_id" value=vault_id />
            <Field label="Name" name="name" errors maxlength=100 autofocus=true hint="Who uses it, for example “CI deploy”." />
            <Field label="Expires (UTC, optional)" name="expires_at" kind="datetime-local" errors />
            <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create access key"</button>
        </PostForm>
    }
}

/// The one showing of a new key: the key, its copy button, the snippets, and Done.
#[component]
fn HandOff(key: CreatedAccessKey, open: RwSignal<bool>) -> impl IntoView {
    let toasts = use_toasts();
    let snippets = key.snippets(&api_base());
    let secret = key.key.expose().to_owned();
    let copy_key = secret.clone();
    let copy_button = NodeRef::<leptos::html::Button>::new();
    // The submit button that had focus is gone: focus the next thing to do.
    Effect::new(move |_| {
        if let Some(b) = copy_button.get() {
            let _ = b.focus();
        }
    });
    view! {
        <div class="handoff stack">
            <p class="notice warn" role="note">
                <strong>"Copy the key now. "</strong>
                "This is the only time the full key is shown: Secryn keeps only a hash of it."
            </p>
            <figure class="handoff-block">
                <figcaption>{format!("Access key “{}”", key.info.name)}</figcaption>
                <pre class="key-text" id="new-key">{secret}</pre>
            </figure>
            <button class="button primary" type="button" node_ref=copy_button
                on:click=move |_| clipboard::copy(copy_key.clone(), toasts, "Access key copied.", BY_HAND)>"Copy key"</button>
            <Snippets snippets />
            <div class="dialog-actions">
                <button class="button" type="button" on:click=move |_| open.set(false)>"Done"</button>
            </div>
        </div>
    }
}

/// The snippets behind a switch of pressed buttons, one showing at a time, each with its own
/// copy button.
#[component]
fn Snippets(snippets: Vec<Snippet>) -> impl IntoView {
    let toasts = use_toasts();
    let shown = RwSignal::new(0usize);
    let switch = snippets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            view! {
                <button class="button" type="button" aria-pressed=move || (shown.get() == i).to_string()
                    aria-controls=format!("snippet-{}", s.slug) on:click=move |_| shown.set(i)>{s.label}</button>
            }
        })
        .collect_view();
    let blocks = snippets
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let copy = s.text.clone();
            view! {
                <figure class="handoff-block" id=format!("snippet-{}", s.slug) hidden=move || shown.get() != i>
                    <figcaption>{format!("{} snippet", s.label)}</figcaption>
                    <pre class="snippet-text">{s.text.clone()}</pre>
                    <button class="button" type="button"
                        on:click=move |_| clipboard::copy(copy.clone(), toasts, "Snippet copied.", BY_HAND)>"Copy snippet"</button>
                </figure>
            }
        })
        .collect_view();
    view! {
        <section class="stack" aria-labelledby="snippets-title">
            <h3 id="snippets-title">"Use it"</h3>
            <div class="button-row snippet-switch" role="group" aria-label="Snippet for">{switch}</div>
            {blocks}
        </section>
    }
}

#[component]
fn KeyTable(
    list: Vec<AccessKeyInfo>,
    revoking: RwSignal<Option<(String, String)>>,
    confirm_open: RwSignal<bool>,
) -> impl IntoView {
    let when = |t: Option<i64>, none: &'static str| t.map(short).unwrap_or_else(|| none.to_owned());
    let rows = list
        .into_iter()
        .map(|k| {
            let (id, name) = (k.id.to_string(), k.name.clone());
            let active = k.state == KeyState::Active;
            view! {
                <tr>
                    <td data-label="Name" class="wrap-anywhere"><span><strong>{k.name.clone()}</strong><br /><code class="small">{k.hint.clone()}</code></span></td>
                    <td data-label="Created" class="wrap-anywhere"><span>{format!("{} by {}", short(k.created_at), k.created_by)}</span></td>
                    <td data-label="Expires">{when(k.expires_at, "Never")}</td>
                    <td data-label="Last used">{when(k.last_used_at, "Not yet")}</td>
                    <td data-label="State"><span class=state_class(k.state)>{k.state.label()}</span></td>
                    <td class="actions">
                        {active.then(|| view! {
                            <button class="button danger-text" type="button" aria-label=format!("Revoke {name}")
                                on:click=move |_| { revoking.set(Some((id.clone(), name.clone()))); confirm_open.set(true); }>"Revoke"</button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data stack-on-mobile">
                <thead><tr><th>"Name"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th>"State"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
