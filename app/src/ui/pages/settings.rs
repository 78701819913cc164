//! Admin → Settings: the instance (name, sessions, sign-in lockout, log retention), the SMTP
//! server Secryn sends e-mail through (invitations, reset links, expiry digests) with a test
//! e-mail and what could not be delivered, and where the backup schedule lives.

use crate::api::settings::{SaveInstanceSettings, SaveMailSettings, SendTestMail, instance_settings, mail_settings};
use crate::domain::instance::InstanceView;
use crate::domain::mail::{MailView, Smtp, Undelivered, security_choices};
use crate::domain::time::short;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{ErrorSignal, Field, FormError, SelectField, action_error};
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::{Breadcrumbs, use_user};
use crate::ui::pages::not_found::NotFound;
use crate::wire;
use leptos::prelude::*;
use leptos_meta::Title;

/// The page (Admins only; anyone else gets the 404 page, and the server refuses them too).
#[component]
pub fn SettingsPage() -> impl IntoView {
    if !use_user().is_some_and(|u| u.is_admin) {
        return view! { <NotFound /> }.into_any();
    }
    let toasts = use_toasts();
    let save = FormAction::<SaveMailSettings>::new();
    let test = FormAction::<SendTestMail>::new();
    let errors = action_error(save);
    let test_errors = action_error(test);
    // The forms are read again only after the server took a change: a refused save leaves
    // what the person typed in place, beside its errors, instead of rebuilding the form from
    // the stored values under their cursor.
    let mail_changed = RwSignal::new(0u32);
    let instance_changed = RwSignal::new(0u32);
    let view_of = wire::resource(move || mail_changed.get(), |_| mail_settings());
    let save_instance = FormAction::<SaveInstanceSettings>::new();
    let instance_errors = action_error(save_instance);
    let instance = wire::resource(move || instance_changed.get(), |_| instance_settings());
    Effect::new(move |_| {
        if let Some(Ok(_)) = save_instance.value().get() {
            instance_changed.update(|n| *n += 1);
            toasts.show("Instance settings saved.");
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            mail_changed.update(|n| *n += 1);
            toasts.show("E-mail settings saved.");
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(said)) = test.value().get() {
            toasts.show(said);
        }
    });
    view! {
        <Title text="Settings" />
        <div class="page settings-page">
            <Breadcrumbs current="Settings".to_owned() />
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match instance.await {
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        Ok(v) => view! { <Instance view=v save=save_instance errors=instance_errors /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match view_of.await {
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        Ok(v) => view! { <Mail view=v save errors test test_errors /> }.into_any(),
                    }
                })}
            </Transition>
            <section class="panel stack" aria-labelledby="backup-schedule-title">
                <h2 id="backup-schedule-title">"Backup schedule"</h2>
                <p class="muted">
                    "Scheduled backups are set beside making and restoring backups, under "
                    <a href="/admin/backups">"Backups"</a>"."
                </p>
            </section>
        </div>
    }
    .into_any()
}

/// The instance part: the name and the numbers, each with the server's default beside it.
#[component]
fn Instance(view: InstanceView, save: FormAction<SaveInstanceSettings>, errors: ErrorSignal) -> impl IntoView {
    let InstanceView { name, knobs, defaults, .. } = view;
    let hint = |d: i64, unit: &str| format!("Server default: {d} {unit}. Empty sets it back.");
    view! {
        <section class="panel stack" id="instance" aria-labelledby="instance-title">
            <h2 id="instance-title">"Instance"</h2>
            <PostForm action=save attr:class="stack" attr:novalidate=true>
                <FormError errors />
                <Field label="Instance name" name="name" errors maxlength=64 value=name hint="Shown in the top bar and in e-mails." />
                <div class="field-row">
                    <Field kind="number" maxlength=7 label="Session idle timeout (minutes)" name="session_idle_minutes" errors
                        value=knobs.session_idle_minutes.to_string() hint=hint(defaults.session_idle_minutes, "minutes") />
                    <Field kind="number" maxlength=7 label="Session lifetime (hours)" name="session_absolute_hours" errors
                        value=knobs.session_absolute_hours.to_string() hint=hint(defaults.session_absolute_hours, "hours") />
                </div>
                <div class="field-row">
                    <Field kind="number" maxlength=7 label="Failed sign-ins before an account locks" name="account_failure_limit" errors
                        value=knobs.account_failure_limit.to_string() hint=hint(defaults.account_failure_limit, "per address, 15 minutes") />
                    <Field kind="number" maxlength=7 label="Failed sign-ins per address" name="ip_failure_limit" errors
                        value=knobs.ip_failure_limit.to_string() hint=hint(defaults.ip_failure_limit, "in 15 minutes; 0 is off") />
                </div>
                <Field kind="number" maxlength=7 label="Keep request and MCP logs (days)" name="log_retention_days" errors
                    value=knobs.log_retention_days.to_string() hint=hint(defaults.log_retention_days, "days; the audit log keeps everything") />
                <div class="button-row">
                    <button class="button primary" type="submit" disabled=move || save.pending().get()>"Save instance settings"</button>
                </div>
            </PostForm>
        </section>
    }
}

/// The e-mail section: what is set, the form, the test button and the undelivered list.
#[component]
fn Mail(
    view: MailView,
    save: FormAction<SaveMailSettings>,
    errors: ErrorSignal,
    test: FormAction<SendTestMail>,
    test_errors: ErrorSignal,
) -> impl IntoView {
    let MailView { smtp, queued, undelivered } = view;
    let enabled = smtp.enabled();
    view! {
        <section class="panel stack" id="mail" aria-labelledby="mail-title">
            <h2 id="mail-title">"E-mail"</h2>
            <p class="muted">
                "Secryn e-mails invitations, password-reset links and expiry digests through this SMTP server. \
                 Without one, copy links from Users and read digests under Notifications."
            </p>
            <p id="mail-status" role="status">{status(&smtp, queued)}</p>
            <SmtpForm smtp save errors />
            <FormError errors=test_errors />
            {enabled.then(|| view! {
                <div class="button-row">
                    <button class="button" type="button" disabled=move || test.pending().get()
                        on:click=move |_| { test.call(SendTestMail {}); }>
                        {move || if test.pending().get() { "Sending…" } else { "Send test e-mail" }}
                    </button>
                </div>
            })}
        </section>
        <section class="panel stack" aria-labelledby="undelivered-title">
            <h2 id="undelivered-title">"Undelivered e-mail"</h2>
            <UndeliveredList list=undelivered />
        </section>
    }
}

fn status(smtp: &Smtp, queued: i64) -> String {
    if !smtp.enabled() {
        return "E-mail is off: no SMTP server is set.".to_owned();
    }
    let waiting = match queued {
        0 => "nothing is waiting".to_owned(),
        1 => "1 message is waiting".to_owned(),
        n => format!("{n} messages are waiting"),
    };
    format!("Sending through {}:{} as {}; {waiting}.", smtp.host, smtp.port, smtp.from)
}

#[component]
fn SmtpForm(smtp: Smtp, save: FormAction<SaveMailSettings>, errors: ErrorSignal) -> impl IntoView {
    let password_hint = if smtp.password_set {
        "A password is stored (encrypted). Leave this empty to keep it."
    } else {
        "Only if the server asks for a user name and password."
    };
    let port = if smtp.enabled() { smtp.port.to_string() } else { String::new() };
    view! {
        <PostForm action=save attr:class="stack smtp-form" attr:novalidate=true>
            <FormError errors />
            <div class="field-row">
                <Field label="SMTP host" name="host" errors maxlength=253 value=smtp.host
                    hint="Leave empty to turn e-mail off." />
                <Field label="Port" name="port" kind="number" errors maxlength=5 value=port hint="Empty means 587." />
            </div>
            <SelectField label="Security" name="security" errors options=security_choices()
                selected=smtp.security.as_str().to_owned() />
            <div class="field-row">
                <Field label="User name" name="username" errors maxlength=256 value=smtp.username autocomplete="off" />
                <Field label="Password" name="password" kind="password" errors maxlength=256
                    autocomplete="new-password" hint=password_hint />
            </div>
            {smtp.password_set.then(|| view! {
                <label class="check">
                    <input type="checkbox" name="clear_password" />
                    " Remove the stored password"
                </label>
            })}
            <Field label="From address" name="from" kind="email" errors maxlength=254 value=smtp.from
                hint="The sender people see, such as secryn@example.com." />
            <div class="button-row">
                <button class="button primary" type="submit" disabled=move || save.pending().get()>"Save e-mail settings"</button>
            </div>
        </PostForm>
    }
}

/// Messages that failed at least once: retried with backoff, then given up on.
#[component]
fn UndeliveredList(list: Vec<Undelivered>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <div class="empty-state" data-empty="undelivered">
                <p class="empty-title">"Nothing undelivered"</p>
                <p class="muted">"A message the SMTP server refuses shows here with its answer while Secryn retries it."</p>
            </div>
        }
        .into_any();
    }
    let rows = list
        .into_iter()
        .map(|m| {
            let next = match m.next_attempt_at {
                Some(at) => format!("Retrying {}", short(at)),
                None => "Given up".to_owned(),
            };
            view! {
                <tr>
                    <td data-label="Queued">{short(m.created_at)}</td>
                    <td data-label="To" class="wrap-anywhere">{m.to}</td>
                    <td data-label="Subject" class="wrap-anywhere"><span>{m.subject}<br /><span class="muted small">{m.kind}</span></span></td>
                    <td data-label="Tries">{m.attempts}</td>
                    <td data-label="Last answer" class="wrap-anywhere">{m.last_error}</td>
                    <td data-label="Next">{next}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data stack-on-mobile" data-table="undelivered">
                <thead>
                    <tr>
                        <th scope="col">"Queued"</th>
                        <th scope="col">"To"</th>
                        <th scope="col">"Subject"</th>
                        <th scope="col">"Tries"</th>
                        <th scope="col">"Last answer"</th>
                        <th scope="col">"Next"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
