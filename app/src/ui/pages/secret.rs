//! One secret, as a view: its value (masked until revealed; copy without showing), the version
//! history (an old version's value opens in its own row) with restore, and the comparison.
//! "New version", "Edit details" and disable/enable open when asked for. Read-only members
//! see metadata only: the page never asks for a value on their behalf.

use crate::api::secrets::{
    NewSecretVersion, RestoreSecret, SetSecretEnabled, UpdateSecretMeta, compare_secret_versions, get_secret,
    reveal_secret,
};
use crate::domain::ErrorCode;
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::domain::secret::{DiffLine, SecretPage};
use crate::domain::validate::SecretInput;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::dialog::{ConfirmDialog, Sheet};
use crate::ui::components::form::{Field, FormError, ValueField, action_error, input_time};
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::Breadcrumbs;
use crate::ui::pages::project::load_error;
use crate::ui::pages::secrets::{copy_value, status_class};
use crate::wire;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn SecretPageView() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let page = wire::blocking_resource(move || (id(), reload.get()), |(id, _)| get_secret(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <SecretFrame page=p reload /> }.into_any(),
                    Err(e) => load_error(e),
                }
            })}
        </Transition>
    }
}

#[component]
fn SecretFrame(page: SecretPage, reload: RwSignal<u32>) -> impl IntoView {
    let v = &page.vault;
    let trail = vec![
        ("Projects".to_owned(), "/projects".to_owned()),
        (v.project_name.clone(), format!("/projects/{}", v.project_id)),
        (v.name.clone(), format!("/vaults/{}", v.id)),
    ];
    let title = page.meta.name.clone();
    let body = page.clone();
    view! {
        <Title text=title.clone() />
        <div class="page">
            <Breadcrumbs trail current=title.clone() />
            <div class="page-head">
                <h1>{title} " " <span class=status_class(page.status)>{page.status.label()}</span></h1>
            </div>
            <dl class="facts">
                <dt>"Current version"</dt><dd>{page.meta.current_version}</dd>
                <dt>"Content type"</dt><dd>{page.meta.content_type.clone()}</dd>
                <dt>"Tags"</dt><dd>{if page.meta.tags.is_empty() { "—".to_owned() } else { page.meta.tags.join(", ") }}</dd>
                <dt>"Activation"</dt><dd>{page.meta.activation_at.map(crate::domain::time::short).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Expiration"</dt><dd>{page.meta.expiration_at.map(crate::domain::time::short).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Updated"</dt><dd>{format!("{} by {}", crate::domain::time::short(page.meta.updated_at), page.meta.updated_by)}</dd>
            </dl>
            {(!page.meta.description.is_empty()).then(|| view! { <p class="muted">{page.meta.description.clone()}</p> })}
            <SecretBody page=body reload />
        </div>
    }
}

#[component]
fn SecretBody(page: SecretPage, reload: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let target = Target::Vault(page.vault.project, page.vault.vault);
    let may_reveal = can(page.vault.viewer, Action::RevealSecrets, target) == Decision::Allow;
    let may_write = can(page.vault.viewer, Action::WriteSecrets, target) == Decision::Allow;
    let id = page.meta.id.to_string();
    // The current value shown at the top, and an old version's value shown in its row.
    let shown = RwSignal::new(None::<String>);
    let shown_old = RwSignal::new(None::<(i64, String)>);
    let reveal_error = RwSignal::new(None::<String>);

    let reveal = {
        let id = id.clone();
        move |version: Option<i64>| {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match reveal_secret(id, version, "reveal".to_owned()).await {
                    Ok(value) => match version {
                        None => shown.set(Some(value.expose().to_owned())),
                        Some(n) => shown_old.set(Some((n, value.expose().to_owned()))),
                    },
                    Err(e) => reveal_error.set(Some(e.message)),
                }
            });
        }
    };

    let (version_open, details_open) = (RwSignal::new(false), RwSignal::new(false));
    let version_action = FormAction::<NewSecretVersion>::new();
    let version_errors = action_error(version_action);
    // A save from a stale page is refused by the server; the person then chooses.
    let stale = move || version_errors.get().is_some_and(|e| e.code == ErrorCode::Conflict);
    let (new_value, new_note) = (NodeRef::<leptos::html::Textarea>::new(), NodeRef::<leptos::html::Input>::new());
    let stale_id = StoredValue::new(id.clone());
    let save_anyway = move || {
        let (Some(value), Some(note)) = (new_value.get_untracked(), new_note.get_untracked()) else { return };
        version_action.call(NewSecretVersion {
            id: stale_id.get_value(),
            value: SecretInput::new(value.value()),
            note: note.value(),
            seen_version: None,
            allow_empty: None,
        });
    };
    let restore = FormAction::<RestoreSecret>::new();
    let restore_errors = action_error(restore);
    let enabled = FormAction::<SetSecretEnabled>::new();
    let enabled_errors = action_error(enabled);
    Effect::new(move |_| {
        if let Some(Ok(n)) = version_action.value().get() {
            toasts.show(format!("Version {n} saved."));
            shown.set(None);
            version_open.set(false);
            reload.update(|r| *r += 1);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(n)) = restore.value().get() {
            toasts.show(format!("Restored as version {n}."));
            shown.set(None);
            reload.update(|r| *r += 1);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = enabled.value().get() {
            toasts.show("Secret updated.");
            reload.update(|r| *r += 1);
        }
    });

    let details = FormAction::<UpdateSecretMeta>::new();
    let details_errors = action_error(details);
    Effect::new(move |_| {
        if let Some(Ok(())) = details.value().get() {
            toasts.show("Details saved.");
            details_open.set(false);
            reload.update(|r| *r += 1);
        }
    });
    let diff = RwSignal::new(None::<Vec<DiffLine>>);
    let current = page.meta.current_version;
    let compare_from = RwSignal::new((current - 1).max(1));
    let compare_to = RwSignal::new(current);
    let compare = {
        let id = id.clone();
        move || {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match compare_secret_versions(id, compare_from.get_untracked(), compare_to.get_untracked()).await {
                    Ok(lines) => diff.set(Some(lines)),
                    Err(e) => reveal_error.set(Some(e.message)),
                }
            });
        }
    };
    let version_numbers: Vec<i64> = page.versions.iter().map(|v| v.version).collect();
    let m = &page.meta;
    // Read again each time a sheet opens (its form is made anew then).
    let (ct, desc, tags) = (
        StoredValue::new(m.content_type.clone()),
        StoredValue::new(m.description.clone()),
        StoredValue::new(m.tags.join(", ")),
    );
    let (act, exp) = (StoredValue::new(input_time(m.activation_at)), StoredValue::new(input_time(m.expiration_at)));
    let (details_id, version_id) = (StoredValue::new(id.clone()), StoredValue::new(id.clone()));
    let seen_updated_at = page.meta.updated_at;
    let restore_open = RwSignal::new(false);
    let restore_version = RwSignal::new(0i64);
    let enable_open = RwSignal::new(false);
    let is_enabled = page.meta.enabled;
    let reveal_current = reveal.clone();
    let history_reveal = reveal.clone();
    let (restore_id, enable_id, copy_id) = (id.clone(), id.clone(), id.clone());

    view! {
        {may_write.then(|| view! {
            <div class="button-row page-actions">
                <button class="button primary" type="button" on:click=move |_| version_open.set(true)>"New version"</button>
                <button class="button" type="button" on:click=move |_| details_open.set(true)>"Edit details"</button>
                <button class="button quiet" class:danger-text=is_enabled type="button" on:click=move |_| enable_open.set(true)>
                    {if is_enabled { "Disable…" } else { "Enable…" }}
                </button>
            </div>
            <FormError errors=enabled_errors />
        })}
        <section class="panel" aria-labelledby="value-title">
            <h2 id="value-title">"Value"</h2>
            {if may_reveal {
                view! {
                    <pre class="secret-value" aria-label="Secret value">
                        {move || shown.get().unwrap_or_else(|| "••••••••••••".to_owned())}
                    </pre>
                    <div class="button-row">
                        <button class="button" type="button" on:click=move |_| {
                            if shown.get_untracked().is_some() { shown.set(None) } else { reveal_current(None) }
                        }>{move || if shown.get().is_some() { "Hide" } else { "Reveal" }}</button>
                        <button class="button" type="button" on:click=move |_| copy_value(copy_id.clone(), None, toasts)>"Copy"</button>
                    </div>
                    <p class="form-error" role="alert" hidden=move || reveal_error.get().is_none()>{move || reveal_error.get()}</p>
                }.into_any()
            } else {
                view! { <p class="muted">"Your role shows this secret's details, not its value."</p> }.into_any()
            }}
        </section>
        <section class="panel" aria-labelledby="history-title">
            <h2 id="history-title">"Version history"</h2>
            <FormError errors=restore_errors />
            <div class="table-wrap">
                <table class="data stack-on-mobile">
                    <thead><tr><th>"Version"</th><th>"Created"</th><th>"By"</th><th>"Note"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>
                        {page.versions.iter().map(|ver| {
                            let n = ver.version;
                            let reveal = history_reveal.clone();
                            let open_here = move || shown_old.with(|s| s.as_ref().is_some_and(|(v, _)| *v == n));
                            view! {
                                <tr>
                                    <td data-label="Version">{n}{(n == current).then_some(" (current)")}</td>
                                    <td data-label="Created">{crate::domain::time::short(ver.created_at)}</td>
                                    <td data-label="By">{ver.created_by.clone()}</td>
                                    <td data-label="Note" class="wrap-anywhere">{ver.note.clone()}</td>
                                    <td class="actions">
                                        {may_reveal.then(|| view! {
                                            <button class="button" type="button" aria-label=move || format!("{} version {n}", if open_here() { "Hide" } else { "Reveal" })
                                                aria-expanded=move || open_here().to_string()
                                                on:click=move |_| if open_here() { shown_old.set(None) } else { reveal(Some(n)) }>
                                                {move || if open_here() { "Hide" } else { "Reveal" }}
                                            </button>
                                        })}
                                        {(may_write && n != current).then(|| view! {
                                            <button class="button" type="button" aria-label=format!("Restore version {n}") on:click=move |_| { restore_version.set(n); restore_open.set(true); }>"Restore"</button>
                                        })}
                                    </td>
                                </tr>
                                <Show when=open_here>
                                    <tr class="revealed-row">
                                        <td colspan="5">
                                            <pre class="secret-value" aria-label=format!("Value of version {n}")>
                                                {move || shown_old.get().map(|(_, v)| v).unwrap_or_default()}
                                            </pre>
                                        </td>
                                    </tr>
                                </Show>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        {(may_reveal && version_numbers.len() > 1).then(|| {
            let options = move |selected: RwSignal<i64>| version_numbers.iter().map(|n| {
                let n = *n;
                view! { <option value=n.to_string() selected=move || selected.get() == n>{format!("Version {n}")}</option> }
            }).collect_view();
            let (from_options, to_options) = (options(compare_from), options(compare_to));
            view! {
                <section class="panel">
                    <h2>"Compare versions"</h2>
                    <div class="toolbar">
                        <div class="field">
                            <label for="compare-from">"From"</label>
                            <select id="compare-from" on:change=move |ev| compare_from.set(event_target_value(&ev).parse().unwrap_or(1))>{from_options}</select>
                        </div>
                        <div class="field">
                            <label for="compare-to">"To"</label>
                            <select id="compare-to" on:change=move |ev| compare_to.set(event_target_value(&ev).parse().unwrap_or(1))>{to_options}</select>
                        </div>
                        <button class="button" type="button" on:click=move |_| compare()>"Compare"</button>
                    </div>
                    {move || diff.get().map(|lines| view! {
                        <pre class="diff" aria-label="Differences">
                            {lines.into_iter().map(|l| match l {
                                DiffLine::Same(t) => view! { <span class="same">{format!("  {t}\n")}</span> }.into_any(),
                                DiffLine::Removed(t) => view! { <span class="removed">{format!("- {t}\n")}</span> }.into_any(),
                                DiffLine::Added(t) => view! { <span class="added">{format!("+ {t}\n")}</span> }.into_any(),
                            }).collect_view()}
                        </pre>
                    })}
                </section>
            }
        })}
        {may_write.then(|| view! {
            <Sheet open=version_open title="New version".to_owned() id="new-version">
                <PostForm action=version_action attr:class="stack" attr:novalidate=true>
                    <FormError errors=version_errors />
                    <input type="hidden" name="id" value=version_id.get_value() />
                    <input type="hidden" name="seen_version" value=current.to_string() />
                    <ValueField id="field-new-value" label="New value" errors=version_errors node_ref=new_value />
                    <div class="field">
                        <label for="field-note">"Note"</label>
                        <input id="field-note" name="note" maxlength="500" node_ref=new_note />
                    </div>
                    <div class="notice warn" role="alert" hidden=move || !stale()>
                        <p>"Someone saved a newer version while you had this page open. Reload to review it first, or save your value on top of it."</p>
                        <div class="button-row">
                            <button class="button" type="button" on:click=move |_| reload.update(|r| *r += 1)>"Reload the latest"</button>
                            <button class="button danger" type="button" on:click=move |_| save_anyway()>"Save anyway"</button>
                        </div>
                    </div>
                    <button class="button primary" type="submit">"Save new version"</button>
                </PostForm>
            </Sheet>
            <Sheet open=details_open title="Edit details".to_owned() id="edit-details">
                <p class="muted small">"Changing details makes no new version; the change is recorded in the audit log."</p>
                <PostForm action=details attr:class="stack" attr:novalidate=true>
                    <FormError errors=details_errors />
                    <input type="hidden" name="id" value=details_id.get_value() />
                    <input type="hidden" name="seen_updated_at" value=seen_updated_at.to_string() />
                    <Field label="Content type" name="content_type" errors=details_errors maxlength=100 value=ct.get_value() />
                    <Field label="Description" name="description" errors=details_errors maxlength=500 value=desc.get_value() />
                    <Field label="Tags" name="tags" errors=details_errors maxlength=600 value=tags.get_value() hint="Comma-separated." />
                    <Field label="Activation (UTC)" name="activation_at" kind="datetime-local" errors=details_errors value=act.get_value() />
                    <Field label="Expiration (UTC)" name="expiration_at" kind="datetime-local" errors=details_errors value=exp.get_value() />
                    <button class="button" type="submit">"Save details"</button>
                </PostForm>
            </Sheet>
        })}
        <ConfirmDialog
            id="restore-version"
            open=restore_open
            title=Signal::derive(move || format!("Restore version {}?", restore_version.get()))
            message=Signal::derive(move || format!("This creates version {} carrying the value of version {}. No version is changed or removed.", current + 1, restore_version.get()))
            confirm_label="Restore".to_owned()
            on_confirm=move |_| { restore.call(RestoreSecret { id: restore_id.clone(), version: restore_version.get_untracked() }); }
        />
        <ConfirmDialog
            id="enable-secret"
            open=enable_open
            title=(if is_enabled { "Disable this secret?" } else { "Enable this secret?" }).to_owned()
            message=(if is_enabled { "Machines stop receiving it at once." } else { "Machines receive it again." }).to_owned()
            confirm_label=(if is_enabled { "Disable" } else { "Enable" }).to_owned()
            danger=is_enabled
            on_confirm=move |_| { enabled.call(SetSecretEnabled { id: enable_id.clone(), enabled: !is_enabled }); }
        />
    }
}
