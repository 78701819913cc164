//! Admin → Backups: make a backup (its one-time key shown once, then the file streamed to
//! disk by a plain form post) and restore one (a dry run that says what the file holds, then
//! a confirmation that the whole instance will be replaced).

use crate::api::backups::{
    RunBackupNow, SaveBackupSchedule, backup_schedule, check_backup, new_backup_key, restore_backup,
};
use crate::domain::AppError;
use crate::domain::backup::{BackupSummary, LastRun, ScheduleInput, ScheduleView, frequency_choices};
use crate::domain::time::short;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::clipboard::{self, BY_HAND};
use crate::ui::components::dialog::{ConfirmDialog, Sheet};
use crate::ui::components::form::{ErrorSignal, Field, FormError, SelectField, action_error};
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::{Breadcrumbs, use_user};
use crate::ui::pages::not_found::NotFound;
use crate::wire;
use leptos::html::Form;
use leptos::prelude::*;
use leptos_meta::Title;
use server_fn::codec::MultipartData;

/// The page (Admins only; anyone else gets the 404 page, and the server refuses them too).
#[component]
pub fn BackupsPage() -> impl IntoView {
    if !use_user().is_some_and(|u| u.is_admin) {
        return view! { <NotFound /> }.into_any();
    }
    let create_open = RwSignal::new(false);
    view! {
        <Title text="Backups" />
        <div class="page backups-page">
            <Breadcrumbs current="Backups".to_owned() />
            <div class="page-head">
                <h1>"Backups"</h1>
                <button class="button primary" type="button" on:click=move |_| create_open.set(true)>"Create backup"</button>
            </div>
            <p class="muted">
                "A backup holds the whole instance: people, projects, vaults, every secret version, keys, certificates, \
                 access keys and all logs. Each one is encrypted with its own one-time key, which Secryn does not keep. \
                 It restores onto any Secryn, with SQLite or PostgreSQL, whatever its master key."
            </p>
            <Scheduled />
            <Restore />
            <Sheet open=create_open title="New backup".to_owned() id="new-backup">
                <Show when=move || create_open.get()>
                    <NewBackup open=create_open />
                </Show>
            </Sheet>
        </div>
    }
    .into_any()
}

/// The sheet's content: a fresh key, shown once, and the download that uses it. It exists
/// only while the sheet is open, so closing it forgets the key.
#[component]
fn NewBackup(open: RwSignal<bool>) -> impl IntoView {
    let toasts = use_toasts();
    let key = LocalResource::new(new_backup_key);
    let downloaded = RwSignal::new(false);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Making a key…"</p> }>
            {move || Suspend::new(async move {
                match key.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(k) => {
                        let text = k.expose().to_owned();
                        let copy = text.clone();
                        view! {
                            <div class="handoff stack">
                                <p class="notice warn" role="note">
                                    <strong>"Copy the key and keep it apart from the file. "</strong>
                                    "This is the only time it is shown: Secryn does not keep it, and without it the backup cannot be restored."
                                </p>
                                <figure class="handoff-block">
                                    <figcaption>"Backup key"</figcaption>
                                    <pre class="key-text" id="backup-key">{text.clone()}</pre>
                                </figure>
                                <button class="button" type="button"
                                    on:click=move |_| clipboard::copy(copy.clone(), toasts, "Backup key copied.", BY_HAND)>"Copy key"</button>
                                <form method="post" action="/admin/backups/download"
                                    on:submit=move |_| {
                                        downloaded.set(true);
                                        toasts.show("The backup is downloading.");
                                    }>
                                    <input type="hidden" name="key" value=text />
                                    <button class="button primary" type="submit">"Download backup"</button>
                                </form>
                                <p class="hint">"The file is written as it is read, from one consistent moment, while people keep working."</p>
                                <div class="dialog-actions">
                                    <button class="button" type="button" on:click=move |_| open.set(false)>
                                        {move || if downloaded.get() { "Done" } else { "Cancel" }}
                                    </button>
                                </div>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Scheduled backups: the last run's result, the next run, and the form that sets them.
#[component]
fn Scheduled() -> impl IntoView {
    let toasts = use_toasts();
    let save = FormAction::<SaveBackupSchedule>::new();
    let run = FormAction::<RunBackupNow>::new();
    let errors = action_error(save);
    let run_errors = action_error(run);
    let view_of = wire::resource(move || (save.version().get(), run.version().get()), |_| backup_schedule());
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            toasts.show("Backup schedule saved.");
        }
    });
    view! {
        <section class="panel stack" aria-labelledby="schedule-title">
            <h2 id="schedule-title">"Scheduled backups"</h2>
            <p class="muted">
                "Each run writes a backup with its own one-time key to a directory on the server, and beside it that key                  encrypted to your age public key (FILE.key.age), so nothing on the server can open the backups.                  Restore one with secryn backup restore --in FILE --identity YOUR-AGE-KEY."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match view_of.await {
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        Ok(v) => {
                            let saved = v.schedule.is_some();
                            view! {
                                <ScheduleStatus view=v.clone() />
                                <FormError errors=run_errors />
                                {saved.then(|| view! {
                                    <div class="button-row">
                                        <button class="button" type="button" disabled=move || run.pending().get()
                                            on:click=move |_| { run.call(RunBackupNow {}); }>
                                            {move || if run.pending().get() { "Running…" } else { "Run now" }}
                                        </button>
                                    </div>
                                })}
                                <ScheduleForm view=v save errors />
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The schedule in words, the next run and what the last one did.
#[component]
fn ScheduleStatus(view: ScheduleView) -> impl IntoView {
    let when = match (&view.schedule, view.next_at) {
        (Some(s), Some(next)) if s.enabled => format!("{}; next run {}.", s.describe(), short(next)),
        (Some(_), _) => "Scheduled backups are off.".to_owned(),
        (None, _) => "No schedule yet: fill in the form to start one.".to_owned(),
    };
    view! {
        <p id="schedule-when">{when}</p>
        {view.last.map(|last| view! { <LastResult last /> })}
    }
}

#[component]
fn LastResult(last: LastRun) -> impl IntoView {
    let started = short(last.started_at);
    let (class, text) = match (last.finished_at, last.ok) {
        (None, _) => ("notice", format!("A run started {started} and has not finished.")),
        (Some(_), true) => {
            ("notice ok", format!("The last run, {started}, wrote {}. {}", last.file.unwrap_or_default(), last.message))
        }
        (Some(_), false) => ("notice error", format!("The last run, {started}, failed: {}", last.message)),
    };
    view! { <p class=class role="status" id="schedule-last">{text}</p> }
}

#[component]
fn ScheduleForm(view: ScheduleView, save: FormAction<SaveBackupSchedule>, errors: ErrorSignal) -> impl IntoView {
    let form = view.schedule.as_ref().map(ScheduleInput::from_schedule).unwrap_or_else(|| ScheduleInput {
        enabled: true,
        frequency: "daily".into(),
        time: "02:00".into(),
        keep_last: "14".into(),
        ..ScheduleInput::default()
    });
    view! {
        <PostForm action=save attr:class="stack schedule-form" attr:novalidate=true>
            <FormError errors />
            <label class="check">
                <input type="checkbox" name="enabled" checked=form.enabled />
                " Run scheduled backups"
            </label>
            <div class="field-row">
                <SelectField label="Frequency" name="frequency" errors options=frequency_choices() selected=form.frequency />
                <Field label="Time (UTC)" name="time" kind="time" errors maxlength=5 value=form.time
                    hint="Hourly runs use the minutes only." />
            </div>
            <Field label="Directory on the server" name="directory" errors maxlength=1024 value=form.directory
                hint="An absolute path that exists on every node, such as /var/backups/secryn." />
            <div class="field-row">
                <Field label="Keep the last" name="keep_last" kind="number" errors maxlength=6 value=form.keep_last
                    hint="Backups; empty keeps any number." />
                <Field label="Delete after (days)" name="max_age_days" kind="number" errors maxlength=6 value=form.max_age_days
                    hint="Empty keeps them however old." />
            </div>
            <Field label="Age public key" name="recipient" errors maxlength=100 value=form.recipient
                hint="The recipient from age-keygen (age1…); keep its identity file off this server." />
            <div class="button-row">
                <button class="button primary" type="submit" disabled=move || save.pending().get()>"Save schedule"</button>
            </div>
        </PostForm>
    }
}

/// The file and key, sent as one multipart upload.
#[cfg(feature = "hydrate")]
fn upload(form: NodeRef<Form>) -> Result<MultipartData, AppError> {
    let form = form.get_untracked().ok_or_else(AppError::internal)?;
    web_sys::FormData::new_with_form(&form).map(Into::into).map_err(|_| AppError::internal())
}

#[cfg(not(feature = "hydrate"))]
fn upload(_: NodeRef<Form>) -> Result<MultipartData, AppError> {
    Err(AppError::internal())
}

/// An upload of the form to `send` (the dry run or the restore).
fn upload_action<F, Fut>(form: NodeRef<Form>, send: F) -> Action<(), Result<BackupSummary, AppError>>
where
    F: Fn(MultipartData) -> Fut + Copy + 'static,
    Fut: Future<Output = Result<BackupSummary, AppError>> + 'static,
{
    Action::new_local(move |_: &()| {
        let data = upload(form);
        async move { send(data?).await }
    })
}

fn error_of(action: Action<(), Result<BackupSummary, AppError>>) -> ErrorSignal {
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// Restoring: file and key, the dry run's report, then the confirmation.
#[component]
fn Restore() -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let check = upload_action(form, check_backup);
    let restore = upload_action(form, restore_backup);
    let check_errors = error_of(check);
    let restore_errors = error_of(restore);
    let errors = Signal::derive(move || restore_errors.get().or_else(|| check_errors.get()));
    let confirm_open = RwSignal::new(false);
    let checked = Memo::new(move |_| check.value().get().and_then(Result::ok));
    Effect::new(move |_| {
        if let Some(Ok(_)) = restore.value().get() {
            // Every session ended, this one too: start over from the sign-in page.
            #[cfg(feature = "hydrate")]
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign("/login?restored=1");
            }
        }
    });
    let busy = move || check.pending().get() || restore.pending().get();
    view! {
        <section class="panel stack" aria-labelledby="restore-title">
            <h2 id="restore-title">"Restore from a backup"</h2>
            <p class="muted">
                "Restoring replaces the whole instance with the backup — all or nothing. The file is checked first; \
                 nothing changes until you confirm."
            </p>
            <form node_ref=form class="stack" novalidate=true
                on:submit=move |ev| {
                    ev.prevent_default();
                    restore.value().set(None);
                    check.dispatch(());
                }
                on:change=move |_| {
                    check.value().set(None);
                    restore.value().set(None);
                }>
                <FormError errors />
                <Field label="Backup key" name="key" kind="password" errors maxlength=200
                    hint="The key shown when the backup was made (it starts with secryn_bk_)." />
                <FileField errors />
                <div class="button-row">
                    <button class="button" type="submit" disabled=busy>
                        {move || if check.pending().get() { "Checking…" } else { "Check backup" }}
                    </button>
                </div>
            </form>
            {move || checked.get().map(|summary| view! {
                <Checked summary=summary.clone() />
                <div class="button-row">
                    <button class="button danger" type="button" disabled=busy on:click=move |_| confirm_open.set(true)>
                        {move || if restore.pending().get() { "Restoring…" } else { "Restore this backup…" }}
                    </button>
                </div>
            })}
            <ConfirmDialog
                open=confirm_open
                id="confirm-restore"
                title="Replace the whole instance?".to_owned()
                message=Signal::derive(move || confirmation(checked.get().as_ref()))
                confirm_label="Replace instance".to_owned()
                danger=true
                on_confirm=move |_| {
                    restore.dispatch(());
                }
            />
        </section>
    }
}

fn confirmation(summary: Option<&BackupSummary>) -> String {
    let when = summary.map(|s| short(s.created_at)).unwrap_or_default();
    format!(
        "Everything in this instance — people, projects, vaults, secrets, keys, certificates and logs — is replaced by \
         the backup of {when}. Every session ends, yours too: sign in again with an account from the backup. \
         This cannot be undone."
    )
}

/// The file input, with its error beside it like every field's.
#[component]
fn FileField(errors: ErrorSignal) -> impl IntoView {
    let message = move || errors.get().and_then(|e| e.for_field("file"));
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for="field-file">"Backup file"</label>
            <input id="field-file" name="file" type="file" accept=".secryn-backup"
                aria-invalid=move || message().is_some().to_string() aria-describedby="field-file-error" />
            <p class="field-error" id="field-file-error">{message}</p>
        </div>
    }
}

/// What the dry run found.
#[component]
fn Checked(summary: BackupSummary) -> impl IntoView {
    let rows = summary
        .headline()
        .into_iter()
        .map(|(label, n)| view! { <tr><th scope="row">{label}</th><td class="num">{n.to_string()}</td></tr> })
        .collect_view();
    view! {
        <div class="notice ok stack" role="status" id="backup-checked">
            <p>
                <strong>"The backup is intact and the key opens it. "</strong>
                {format!("Made {} on {}; {} rows in all.", short(summary.created_at), summary.engine, summary.total())}
            </p>
            <table class="summary-table">
                <caption class="sr-only">"What the backup holds"</caption>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
