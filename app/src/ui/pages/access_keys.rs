//! The Access keys tab of a vault: create a key (shown in full once, with a copy button and a
//! ready-to-paste snippet), list keys with their use, revoke with a confirmation.

use crate::api::access_keys::{CreateAccessKey, RevokeAccessKey, list_access_keys};
use crate::domain::access_key::{AccessKeyInfo, CreatedAccessKey, KeyState};
use crate::domain::org::VaultDetail;
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::domain::time::short;
use crate::ui::components::clipboard;
use crate::ui::components::dialog::ConfirmDialog;
use crate::ui::components::form::{Field, FormError, action_error};
use crate::ui::components::toast::use_toasts;
use crate::ui::pages::project::load_error;
use leptos::prelude::*;

/// What to do when this browser copies nothing: the key is shown in full just above.
const BY_HAND: &str = "Copying is not available in this browser: select the text above and press Ctrl+C (⌘C).";

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
pub fn AccessKeysTab(vault: VaultDetail) -> impl IntoView {
    let toasts = use_toasts();
    // Listing and revoking stay open in an archived project; creating does not.
    let may_create =
        can(vault.viewer, Action::CreateAccessKey, Target::Vault(vault.project, vault.vault)) == Decision::Allow;
    let vid = vault.id.to_string();
    let reload = RwSignal::new(0u32);
    let list_vid = vid.clone();
    let keys = Resource::new(move || (list_vid.clone(), reload.get()), |(v, _)| list_access_keys(v));
    let create = ServerAction::<CreateAccessKey>::new();
    let errors = action_error(create);
    let created = RwSignal::new(None::<CreatedAccessKey>);
    Effect::new(move |_| {
        if let Some(Ok(k)) = create.value().get() {
            created.set(Some(k));
            reload.update(|r| *r += 1);
        }
    });
    let revoke = ServerAction::<RevokeAccessKey>::new();
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(())) => {
            toasts.show("Access key revoked.");
            reload.update(|r| *r += 1);
        }
        Some(Err(e)) => toasts.show(e.message),
        None => {}
    });
    let revoking = RwSignal::new(None::<(String, String)>);
    let confirm_open = RwSignal::new(false);
    let new_key = if may_create {
        view! {
            <details class="panel">
                <summary><strong>"New access key"</strong></summary>
                <ActionForm action=create attr:class="stack" attr:novalidate=true>
                    <FormError errors />
                    <input type="hidden" name="vault_id" value=vid />
                    <Field label="Name" name="name" errors maxlength=100 hint="Who uses it, for example “CI deploy”." />
                    <Field label="Expires (UTC, optional)" name="expires_at" kind="datetime-local" errors />
                    <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create access key"</button>
                </ActionForm>
            </details>
        }
        .into_any()
    } else {
        view! { <p class="muted">"This project is archived: its keys can be revoked, but no new key can be created."</p> }
            .into_any()
    };
    view! {
        {new_key}
        {move || created.get().map(|k| {
            let key = k.key.expose().to_owned();
            let snippet = k.snippet(&api_base());
            let (copy_key, copy_snippet) = (key.clone(), snippet.clone());
            view! {
                <section class="panel notice warn" aria-labelledby="new-key-title">
                    <h2 id="new-key-title">"Copy the key now"</h2>
                    <p>"This is the only time the full key is shown. Store it where the machine reads it."</p>
                    <div class="field">
                        <label for="new-key">"Access key"</label>
                        <input id="new-key" readonly value=key class="mono" />
                    </div>
                    <pre class="secret-value" aria-label="Snippet">{snippet}</pre>
                    <div class="button-row">
                        <button class="button primary" type="button" on:click=move |_| clipboard::copy(copy_key.clone(), toasts, "Access key copied.", BY_HAND)>"Copy key"</button>
                        <button class="button" type="button" on:click=move |_| clipboard::copy(copy_snippet.clone(), toasts, "Snippet copied.", BY_HAND)>"Copy snippet"</button>
                        <button class="button" type="button" on:click=move |_| created.set(None)>"Done"</button>
                    </div>
                </section>
            }
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
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
        <ConfirmDialog
            open=confirm_open
            title=Signal::derive(move || format!("Revoke “{}”?", revoking.get().map(|r| r.1).unwrap_or_default()))
            message="Every machine using this key is refused from its very next request. This cannot be undone.".to_owned()
            confirm_label="Revoke".to_owned()
            danger=true
            on_confirm=move |_| {
                if let Some((id, _)) = revoking.get_untracked() {
                    revoke.dispatch(RevokeAccessKey { id });
                }
            }
        />
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
                    <td data-label="Name"><strong>{k.name.clone()}</strong><br /><code class="small">{k.hint.clone()}</code></td>
                    <td data-label="Created">{format!("{} by {}", short(k.created_at), k.created_by)}</td>
                    <td data-label="Expires">{when(k.expires_at, "Never")}</td>
                    <td data-label="Last used">{when(k.last_used_at, "Not yet")}</td>
                    <td data-label="State"><span class=state_class(k.state)>{k.state.label()}</span></td>
                    <td data-label="">
                        {active.then(|| view! {
                            <button class="button danger" type="button" aria-label=format!("Revoke {name}")
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
