//! The Secrets tab of a vault. The list is the page: filters and the table (sort; pages of 50
//! fetched from the server; Copy value on each row) come first, and "New secret" and
//! "Import .env" (with a preview) open in a sheet when asked for.

use crate::api::secrets::{CreateSecret, import_secrets, list_secrets, reveal_secret};
use crate::domain::AppError;
use crate::domain::dotenv::{ImportOutcome, ImportReport};
use crate::domain::org::VaultDetail;
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::domain::secret::{SecretListing, SecretSort, SecretStatus};
use crate::domain::validate::SecretInput;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::clipboard;
use crate::ui::components::dialog::Sheet;
use crate::ui::components::form::{Field, FormError, ValueField, action_error};
use crate::ui::components::toast::{Toasts, use_toasts};
use crate::ui::pages::project::load_error;
use crate::wire::{self, Wire};
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

/// Copies a secret's value (the current one, or `version`) without showing it. The server
/// records the copy in the audit log before the value leaves it.
pub fn copy_value(id: String, version: Option<i64>, toasts: Toasts) {
    leptos::task::spawn_local(async move {
        match reveal_secret(id, version, "copy".to_owned()).await {
            Ok(value) => clipboard::copy(
                value.expose().to_owned(),
                toasts,
                "Value copied to the clipboard.",
                "Copying is not available in this browser: reveal the value and copy it by hand.",
            ),
            Err(e) => toasts.show(e.message),
        }
    });
}

/// What the table shows: filters, order and page.
#[derive(Clone, Debug, PartialEq)]
struct View {
    text: String,
    tag: String,
    status: String,
    sort: SecretSort,
    descending: bool,
    page: i64,
}

/// The Secrets tab's list and what it is filtered by. Made by the vault page outside any
/// `Suspense` (see `VaultPage`), so its resource lines up between server and browser.
#[derive(Clone, Copy)]
pub struct SecretsQuery {
    view_state: RwSignal<View>,
    reload: RwSignal<u32>,
    list: Resource<Result<SecretListing, AppError>, Wire>,
}

impl SecretsQuery {
    pub fn new(vault_id: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let view_state = RwSignal::new(View {
            text: String::new(),
            tag: String::new(),
            status: String::new(),
            sort: SecretSort::Name,
            descending: false,
            page: 1,
        });
        let reload = RwSignal::new(0u32);
        let list = wire::resource(
            move || (vault_id(), view_state.get(), reload.get()),
            |(vid, v, _)| list_secrets(vid, v.text, v.tag, v.status, v.sort.as_str().to_owned(), v.descending, v.page),
        );
        SecretsQuery { view_state, reload, list }
    }
}

#[component]
pub fn SecretsTab(vault: VaultDetail, query: SecretsQuery) -> impl IntoView {
    let target = Target::Vault(vault.project, vault.vault);
    let may_write = can(vault.viewer, Action::WriteSecrets, target) == Decision::Allow;
    let may_reveal = can(vault.viewer, Action::RevealSecrets, target) == Decision::Allow;
    let vid = vault.id.to_string();
    let SecretsQuery { view_state, reload, list: secrets } = query;
    // Any change of filter starts again at page 1.
    let set_filter = move |f: &dyn Fn(&mut View)| {
        view_state.update(|v| {
            f(v);
            v.page = 1;
        })
    };
    // The tag options come from the loaded list, outside its Suspense: they appear once the
    // page is interactive, so the server's HTML and the first browser render agree.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let export_href = format!("/vaults/{vid}/export.env");
    let (new_open, import_open) = (RwSignal::new(false), RwSignal::new(false));
    let (new_vid, import_vid) = (vid.clone(), vid.clone());
    view! {
        <div class="toolbar list-head" role="search">
            <div class="field">
                <label for="secret-filter">"Filter by name or tag"</label>
                <input id="secret-filter" type="search" maxlength=128 prop:value=move || view_state.with(|v| v.text.clone())
                    on:input=move |ev| { let t = event_target_value(&ev); set_filter(&|v| v.text = t.clone()) } />
            </div>
            <div class="field narrow">
                <label for="secret-tag">"Tag"</label>
                <select id="secret-tag" on:change=move |ev| { let t = event_target_value(&ev); set_filter(&|v| v.tag = t.clone()) }>
                    <option value="">"All tags"</option>
                    {move || hydrated.get().then(|| secrets.get()).flatten().and_then(Result::ok).map(|l| l.tags).unwrap_or_default().into_iter().map(|t| {
                        let selected = view_state.with_untracked(|v| v.tag == t);
                        view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field narrow">
                <label for="secret-status">"Status"</label>
                <select id="secret-status" on:change=move |ev| { let s = event_target_value(&ev); set_filter(&|v| v.status = s.clone()) }>
                    <option value="">"All"</option>
                    {SecretStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="button-row list-actions">
                {may_write.then(|| view! {
                    <button class="button primary" type="button" on:click=move |_| new_open.set(true)>"New secret"</button>
                    <button class="button" type="button" on:click=move |_| import_open.set(true)>"Import .env"</button>
                })}
                {may_reveal.then(|| view! {
                    <a class="button" href=export_href.clone() download title="Download the vault's active secrets as a .env file (recorded in the audit log)">"Export .env"</a>
                })}
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading secrets…"</p> }>
            {move || Suspend::new(async move {
                match secrets.await {
                    Err(e) => load_error(e),
                    Ok(list) if list.total == 0 => view! {
                        <div class="empty-state">
                            <p class="empty-title">"No secrets yet"</p>
                            <p class="muted">{if may_write { "Use “New secret” or “Import .env” to store the first ones." } else { "Nothing has been stored in this vault yet." }}</p>
                        </div>
                    }.into_any(),
                    Ok(list) if list.matching == 0 => view! {
                        <div class="empty-state"><p class="empty-title">"No secret matches these filters"</p></div>
                    }.into_any(),
                    Ok(list) => view! { <SecretTable list view_state may_reveal /> }.into_any(),
                }
            })}
        </Transition>
        <Sheet open=new_open title="New secret".to_owned() id="new-secret">
            <NewSecret vault_id=new_vid.clone() />
        </Sheet>
        <Sheet open=import_open title="Import .env".to_owned() id="import-env">
            <ImportPanel vault_id=import_vid.clone() reload done=import_open />
        </Sheet>
    }
}

/// A sortable column header: a button that sorts by `sort`, again to reverse.
fn sort_header(label: &'static str, sort: SecretSort, view_state: RwSignal<View>) -> impl IntoView {
    let aria = move || {
        view_state.with(|v| match (v.sort == sort, v.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        })
    };
    let arrow = move || {
        view_state.with(|v| match (v.sort == sort, v.descending) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        })
    };
    view! {
        <th aria-sort=aria>
            <button class="sort" type="button" on:click=move |_| view_state.update(|v| {
                v.descending = v.sort == sort && !v.descending;
                v.sort = sort;
                v.page = 1;
            })>{label}{arrow}</button>
        </th>
    }
}

#[component]
fn SecretTable(list: SecretListing, view_state: RwSignal<View>, may_reveal: bool) -> impl IntoView {
    let toasts = use_toasts();
    let (page, pages) = (list.page, list.pages);
    let short = crate::domain::time::short;
    let rows = list
        .rows
        .into_iter()
        .map(|r| {
            let (id, name) = (r.meta.id.to_string(), r.meta.name.clone());
            view! {
                <tr>
                    <td data-label="Name" class="wrap-anywhere"><a class="secret-name" href=format!("/secrets/{id}")>{name.clone()}</a></td>
                    <td data-label="Tags">{r.meta.tags.iter().map(|t| view! { <span class="badge">{t.clone()}</span> " " }).collect_view()}</td>
                    <td data-label="Version">{r.meta.current_version}</td>
                    <td data-label="Status"><span class=status_class(r.status)>{r.status.label()}</span></td>
                    <td data-label="Expires">{r.meta.expiration_at.map(short).unwrap_or_else(|| "Never".to_owned())}</td>
                    <td data-label="Updated">{format!("{} by {}", short(r.meta.updated_at), r.meta.updated_by)}</td>
                    {may_reveal.then(|| view! {
                        <td class="actions">
                            <button class="button" type="button" aria-label=format!("Copy value of {name}")
                                on:click=move |_| copy_value(id.clone(), None, toasts)>"Copy value"</button>
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    let go = move |to: i64| view_state.update(|v| v.page = to);
    view! {
        <div class="table-wrap">
            <table class="data stack-on-mobile">
                <thead><tr>
                    {sort_header("Name", SecretSort::Name, view_state)}
                    <th>"Tags"</th>
                    {sort_header("Version", SecretSort::Version, view_state)}
                    <th>"Status"</th>
                    <th>"Expires"</th>
                    {sort_header("Updated", SecretSort::Updated, view_state)}
                    {may_reveal.then(|| view! { <th><span class="sr-only">"Actions"</span></th> })}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            <span class="muted">{format!("{} of {} secrets", list.matching, list.total)}</span>
            <button class="button" type="button" disabled={page <= 1} on:click=move |_| go(page - 1)>"Previous"</button>
            <span>{format!("Page {page} of {pages}")}</span>
            <button class="button" type="button" disabled={page >= pages} on:click=move |_| go(page + 1)>"Next"</button>
        </nav>
    }
}

#[component]
fn NewSecret(vault_id: String) -> impl IntoView {
    let create = FormAction::<CreateSecret>::new();
    let errors = action_error(create);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/secrets/{id}"), Default::default());
        }
    });
    view! {
            <PostForm action=create attr:class="stack" attr:novalidate=true>
                <FormError errors />
                <input type="hidden" name="vault_id" value=vault_id />
                <Field label="Name" name="name" errors maxlength=128 hint="Letters, digits and _ . - (case-sensitive; cannot be renamed)." />
                <ValueField id="field-value" label="Value" errors />
                <Field label="Tags" name="tags" errors maxlength=600 hint="Comma-separated, for example prod, database." />
                <Field label="Content type" name="content_type" errors maxlength=100 value="text/plain" />
                <Field label="Description" name="description" errors maxlength=500 />
                <Field label="Activation (UTC)" name="activation_at" kind="datetime-local" errors />
                <Field label="Expiration (UTC)" name="expiration_at" kind="datetime-local" errors />
                <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create secret"</button>
            </PostForm>
    }
}

/// Reads the file chosen in `input` into `into` (browser only). Shared with the key upload,
/// whose file chooser fills its text box the same way.
pub(crate) fn load_file(input: NodeRef<leptos::html::Input>, into: RwSignal<String>) {
    #[cfg(feature = "hydrate")]
    {
        let Some(file) = input.get().and_then(|i| i.files()).and_then(|f| f.get(0)) else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                into.set(text.as_string().unwrap_or_default());
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (input, into);
}

fn outcome_label(o: &ImportOutcome) -> (String, &'static str) {
    match o {
        ImportOutcome::New => ("New secret".to_owned(), "badge ok"),
        ImportOutcome::NewVersion { after } => (format!("New version {}", after + 1), "badge accent"),
        ImportOutcome::Exists => ("Exists — skipped".to_owned(), "badge"),
        ImportOutcome::Invalid(why) => (why.clone(), "badge bad"),
    }
}

#[component]
fn ImportPanel(vault_id: String, reload: RwSignal<u32>, done: RwSignal<bool>) -> impl IntoView {
    let toasts = use_toasts();
    let text = RwSignal::new(String::new());
    let new_versions = RwSignal::new(false);
    let file = NodeRef::<leptos::html::Input>::new();
    let vid = StoredValue::new(vault_id);
    let run = leptos::prelude::Action::new(move |apply: &bool| {
        let apply = *apply;
        let body = SecretInput::new(text.get_untracked());
        import_secrets(vid.get_value(), body, new_versions.get_untracked(), apply)
    });
    let preview = RwSignal::new(None::<ImportReport>);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match run.value().get() {
        Some(Ok(report)) if report.applied => {
            toasts.show(format!("Imported {} secret(s).", report.writes()));
            done.set(false);
            reload.update(|r| *r += 1);
        }
        Some(Ok(report)) => {
            error.set(None);
            preview.set(Some(report));
        }
        Some(Err(e)) => error.set(Some(e.message)),
        None => {}
    });
    // A changed text or choice needs a fresh preview.
    Effect::new(move |_| {
        text.track();
        new_versions.track();
        preview.set(None);
    });
    view! {
            <div class="stack">
                <p class="muted small">"Paste NAME=value lines or choose a file, then preview. Nothing is stored until you confirm."</p>
                <div class="field">
                    <label for="import-file">"File"</label>
                    <input id="import-file" type="file" accept=".env,text/plain" node_ref=file on:change=move |_| load_file(file, text) />
                </div>
                <div class="field">
                    <label for="import-text">"Lines"</label>
                    <textarea id="import-text" rows="6" autocomplete="off" spellcheck="false" placeholder="DB_PASSWORD=…"
                        prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    <p class="field-error" role="alert">{move || error.get()}</p>
                </div>
                <label class="check">
                    <input type="checkbox" prop:checked=move || new_versions.get() on:change=move |ev| new_versions.set(event_target_checked(&ev)) />
                    " Names that already exist get a new version"
                </label>
                <div class="button-row">
                    <button class="button" type="button" disabled=move || run.pending().get() on:click=move |_| { run.dispatch(false); }>"Preview"</button>
                </div>
                {move || preview.get().map(|report| {
                    let writes = report.writes();
                    view! {
                        <div class="table-wrap">
                            <table class="data stack-on-mobile" aria-label="Import preview">
                                <thead><tr><th>"Line"</th><th>"Name"</th><th>"What happens"</th></tr></thead>
                                <tbody>{report.lines.iter().map(|l| {
                                    let (label, class) = outcome_label(&l.outcome);
                                    view! { <tr><td data-label="Line">{l.line}</td><td data-label="Name">{l.name.clone()}</td><td data-label="What happens"><span class=class>{label}</span></td></tr> }
                                }).collect_view()}</tbody>
                            </table>
                        </div>
                        <div class="button-row">
                            <button class="button primary" type="button" disabled=move || writes == 0 || run.pending().get()
                                on:click=move |_| { run.dispatch(true); }>{format!("Import {writes} secret(s)")}</button>
                        </div>
                    }
                })}
            </div>
    }
}
