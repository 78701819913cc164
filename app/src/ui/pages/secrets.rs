//! The Secrets tab of a vault: the table (filter by name, tag and status) and the form for a
//! new secret.

use crate::api::secrets::{CreateSecret, list_secrets};
use crate::domain::org::VaultDetail;
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::domain::secret::SecretStatus;
use crate::ui::components::form::{Field, FormError, action_error};
use crate::ui::pages::project::load_error;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The badge class for a status.
pub fn status_class(s: SecretStatus) -> &'static str {
    match s {
        SecretStatus::Active => "badge ok",
        SecretStatus::Scheduled => "badge accent",
        SecretStatus::Disabled => "badge",
        SecretStatus::Expired => "badge bad",
        SecretStatus::Expiring => "badge warn",
    }
}

#[component]
pub fn SecretsTab(vault: VaultDetail) -> impl IntoView {
    let may_write =
        can(vault.viewer, Action::WriteSecrets, Target::Vault(vault.project, vault.vault)) == Decision::Allow;
    let create = ServerAction::<CreateSecret>::new();
    let errors = action_error(create);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/secrets/{id}"), Default::default());
        }
    });
    let vid = vault.id.to_string();
    let form_vid = StoredValue::new(vid.clone());
    let secrets = Resource::new(move || vid.clone(), list_secrets);
    let text = RwSignal::new(String::new());
    let status = RwSignal::new(String::from("all"));
    view! {
        <Show when=move || may_write>
            <details class="panel">
                <summary><strong>"New secret"</strong></summary>
                <ActionForm action=create attr:class="stack" attr:novalidate=true>
                    <FormError errors />
                    <input type="hidden" name="vault_id" value=form_vid.get_value() />
                    <Field label="Name" name="name" errors maxlength=128 hint="Letters, digits and _ . - (case-sensitive; cannot be renamed)." />
                    <div class="field">
                        <label for="field-value">"Value"</label>
                        <textarea id="field-value" name="value" rows="4" maxlength="65536" autocomplete="off" spellcheck="false"></textarea>
                        <p class="field-error">{move || errors.get().and_then(|e| e.for_field("value"))}</p>
                    </div>
                    <Field label="Tags" name="tags" errors maxlength=600 hint="Comma-separated, for example prod, database." />
                    <Field label="Content type" name="content_type" errors maxlength=100 value="text/plain" />
                    <Field label="Description" name="description" errors maxlength=500 />
                    <Field label="Activation (UTC)" name="activation_at" kind="datetime-local" errors />
                    <Field label="Expiration (UTC)" name="expiration_at" kind="datetime-local" errors />
                    <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create secret"</button>
                </ActionForm>
            </details>
        </Show>
        <div class="toolbar" role="search">
            <div class="field">
                <label for="secret-filter">"Filter by name or tag"</label>
                <input id="secret-filter" type="search" maxlength=128 prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="secret-status">"Status"</label>
                <select id="secret-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="all">"All"</option>
                    <option value="active">"Active"</option>
                    <option value="expiring">"Expiring soon"</option>
                    <option value="expired">"Expired"</option>
                    <option value="scheduled">"Scheduled"</option>
                    <option value="disabled">"Disabled"</option>
                </select>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match secrets.await {
                    Err(e) => load_error(e),
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state">
                            <p class="empty-title">"No secrets yet"</p>
                            <p class="muted">{if may_write { "Use “New secret” above to store the first one." } else { "Nothing has been stored in this vault yet." }}</p>
                        </div>
                    }.into_any(),
                    Ok(list) => {
                        let rows = move || {
                            let needle = text.get().to_lowercase();
                            let wanted = status.get();
                            list.iter()
                                .filter(|r| needle.is_empty() || r.meta.name.to_lowercase().contains(&needle) || r.meta.tags.iter().any(|t| t.to_lowercase().contains(&needle)))
                                .filter(|r| wanted == "all" || serde_json::to_value(r.status).ok().and_then(|v| v.as_str().map(|s| s == wanted)).unwrap_or(false))
                                .map(|r| view! {
                                    <tr>
                                        <td data-label="Name"><a href=format!("/secrets/{}", r.meta.id)>{r.meta.name.clone()}</a></td>
                                        <td data-label="Tags">{r.meta.tags.iter().map(|t| view! { <span class="badge">{t.clone()}</span> " " }).collect_view()}</td>
                                        <td data-label="Version">{r.meta.current_version}</td>
                                        <td data-label="Status"><span class=status_class(r.status)>{r.status.label()}</span></td>
                                        <td data-label="Updated">{format!("{} by {}", crate::domain::time::short(r.meta.updated_at), r.meta.updated_by)}</td>
                                    </tr>
                                })
                                .collect_view()
                        };
                        view! {
                            <div class="table-wrap">
                                <table class="data stack-on-mobile">
                                    <thead><tr><th>"Name"</th><th>"Tags"</th><th>"Version"</th><th>"Status"</th><th>"Updated"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
