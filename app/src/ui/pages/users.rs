//! The Users page (Admins only): everyone with an account, filters, invitations, password
//! reset links, disabling and enabling, and the Admin role. The server checks every action
//! again; this page only offers what makes sense for each row.

use crate::api::users::{
    IssuedLinkView, LinkPurpose, UserStatus, UserSummary, UsersDisable, UsersEnable, UsersGrantAdmin, UsersInvite,
    UsersReinvite, UsersResetLink, UsersRevokeAdmin, sign_in_lock_clear, sign_in_locks, users_list,
};
use crate::domain::AppError;
use crate::domain::ids::UserId;
use crate::domain::session::{LockKind, SignInLock};
use crate::domain::time::{Micros, rfc3339, short};
use crate::domain::validate::{EMAIL_MAX, NAME_MAX};
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::clipboard;
use crate::ui::components::dialog::ConfirmDialog;
use crate::ui::components::form::{Field, FormError, action_error};
use crate::ui::components::toast::{Toasts, use_toasts};
use crate::ui::layout::{Breadcrumbs, use_user};
use crate::ui::pages::not_found::NotFound;
use crate::wire;
use leptos::html::{Form, Input};
use leptos::prelude::*;
use leptos_meta::Title;

/// What a row button asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Reinvite,
    ResetLink,
    Disable,
    Enable,
    GrantAdmin,
    RevokeAdmin,
}

/// The user a row action is about.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Subject {
    op: Op,
    id: UserId,
    name: String,
}

impl Subject {
    /// The confirmation question for weighty actions; `None` runs at once.
    fn confirmation(&self) -> Option<(String, String, &'static str)> {
        let n = &self.name;
        match self.op {
            Op::Disable => Some((
                format!("Disable {n}?"),
                format!(
                    "{n} is signed out everywhere at once and cannot sign in until enabled again. \
                     Nothing of theirs is deleted."
                ),
                "Disable",
            )),
            Op::GrantAdmin => Some((
                format!("Make {n} an Admin?"),
                format!("{n} will manage users, backups, logs and settings, and see every project, vault and secret."),
                "Make Admin",
            )),
            Op::RevokeAdmin => Some((
                format!("Remove the Admin role from {n}?"),
                format!("{n} keeps their account and project memberships but no longer administers this instance."),
                "Remove Admin",
            )),
            _ => None,
        }
    }

    fn done(&self, toasts: Toasts) {
        let n = &self.name;
        let text = match self.op {
            Op::Disable => format!("{n} is disabled and was signed out."),
            Op::Enable => format!("{n} is enabled again."),
            Op::GrantAdmin => format!("{n} is now an Admin."),
            Op::RevokeAdmin => format!("{n} is no longer an Admin."),
            Op::Reinvite => format!("New invitation link for {n}; the earlier one no longer works."),
            Op::ResetLink => format!("Password reset link for {n} created."),
        };
        toasts.show(text);
    }
}

/// The day part of a time, for the table (`2027-02-11`); the full time is in its tooltip.
fn day(t: Micros) -> String {
    rfc3339(t).chars().take(10).collect()
}

/// The browser's own origin (`https://secryn.example.com`), put in front of a link's path.
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(o) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return o;
    }
    String::new()
}

/// Puts a link on the clipboard; where the browser copies nothing, the link stays selected
/// for copying by hand.
fn copy(text: String, toasts: Toasts) {
    clipboard::copy(
        text,
        toasts,
        "Link copied.",
        "Copying is not available here: the link is selected, press Ctrl+C (⌘C) to copy it.",
    );
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let Some(me) = use_user().filter(|u| u.is_admin) else {
        return view! { <NotFound /> }.into_any();
    };
    let my_id = me.id;
    let toasts = use_toasts();

    // Filters and the list.
    let text = RwSignal::new(String::new());
    let status = RwSignal::new("all".to_owned());
    let reload = RwSignal::new(0u32);
    let users = wire::resource(move || (text.get(), status.get(), reload.get()), |(q, s, _)| users_list(q, s));
    let refresh = move || reload.update(|n| *n += 1);

    // The link shown once after an invitation, a new invitation or a reset link.
    let issued = RwSignal::new(None::<IssuedLinkView>);

    // Inviting.
    let show_invite = RwSignal::new(false);
    let invite = FormAction::<UsersInvite>::new();
    let invite_errors = action_error(invite);
    let invite_form = NodeRef::<Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(link)) = invite.value().get() {
            issued.set(Some(link));
            show_invite.set(false);
            if let Some(f) = invite_form.get_untracked() {
                f.reset();
            }
            refresh();
        }
    });

    // Row actions: one at a time, with the outcome in one banner.
    let subject = RwSignal::new(None::<Subject>);
    let problem = RwSignal::new(None::<AppError>);
    let confirm_open = RwSignal::new(false);
    let reinvite = FormAction::<UsersReinvite>::new();
    let reset_link = FormAction::<UsersResetLink>::new();
    let disable = FormAction::<UsersDisable>::new();
    let enable = FormAction::<UsersEnable>::new();
    let grant = FormAction::<UsersGrantAdmin>::new();
    let revoke = FormAction::<UsersRevokeAdmin>::new();
    let busy = Signal::derive(move || {
        reinvite.pending().get()
            || reset_link.pending().get()
            || disable.pending().get()
            || enable.pending().get()
            || grant.pending().get()
            || revoke.pending().get()
    });
    let finished = move |outcome: Result<Option<IssuedLinkView>, AppError>| {
        let who = subject.get_untracked();
        match outcome {
            Ok(link) => {
                problem.set(None);
                if let Some(who) = &who {
                    who.done(toasts);
                }
                if link.is_some() {
                    issued.set(link);
                }
                // Someone who gave up their own Admin role leaves the admin pages.
                if who.is_some_and(|w| w.op == Op::RevokeAdmin && w.id == my_id) {
                    #[cfg(feature = "hydrate")]
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().assign("/");
                    }
                }
            }
            Err(e) => problem.set(Some(e)),
        }
        refresh();
    };
    Effect::new(move |_| reinvite.value().get().map(|r| finished(r.map(Some))));
    Effect::new(move |_| reset_link.value().get().map(|r| finished(r.map(Some))));
    Effect::new(move |_| disable.value().get().map(|r| finished(r.map(|_| None))));
    Effect::new(move |_| enable.value().get().map(|r| finished(r.map(|_| None))));
    Effect::new(move |_| grant.value().get().map(|r| finished(r.map(|_| None))));
    Effect::new(move |_| revoke.value().get().map(|r| finished(r.map(|_| None))));

    let run = move |s: Subject| {
        let user_id = s.id.to_string();
        problem.set(None);
        match s.op {
            Op::Reinvite => {
                reinvite.call(UsersReinvite { user_id });
            }
            Op::ResetLink => {
                reset_link.call(UsersResetLink { user_id });
            }
            Op::Disable => {
                disable.call(UsersDisable { user_id });
            }
            Op::Enable => {
                enable.call(UsersEnable { user_id });
            }
            Op::GrantAdmin => {
                grant.call(UsersGrantAdmin { user_id });
            }
            Op::RevokeAdmin => {
                revoke.call(UsersRevokeAdmin { user_id });
            }
        }
    };
    let ask = Callback::new(move |s: Subject| {
        let needs_confirm = s.confirmation().is_some();
        subject.set(Some(s.clone()));
        if needs_confirm {
            confirm_open.set(true);
        } else {
            run(s);
        }
    });
    let question = move || subject.get().and_then(|s| s.confirmation());

    view! {
        <Title text="Users" />
        <div class="page">
            <Breadcrumbs current="Users".to_owned() />
            <div class="page-head">
                <h1>"Users"</h1>
                <button
                    class="button primary"
                    type="button"
                    aria-expanded=move || show_invite.get().to_string()
                    aria-controls="invite-panel"
                    on:click=move |_| show_invite.update(|o| *o = !*o)
                >
                    "Invite user"
                </button>
            </div>
            <p class="muted">
                "People sign in only after an Admin invites them. Users are never deleted: disable an account to shut it out."
            </p>

            <section id="invite-panel" class="panel" hidden=move || !show_invite.get()>
                <h2>"Invite someone"</h2>
                <PostForm action=invite node_ref=invite_form attr:class="stack" attr:novalidate=true>
                    <FormError errors=invite_errors />
                    <Field label="Name" name="name" errors=invite_errors autocomplete="off" maxlength=NAME_MAX />
                    <Field label="E-mail" name="email" kind="email" errors=invite_errors autocomplete="off" maxlength=EMAIL_MAX />
                    <p class="hint">"Secryn makes a link that works once for 7 days. You send it to them yourself."</p>
                    <button class="button primary" type="submit" disabled=move || invite.pending().get()>
                        "Create invitation link"
                    </button>
                </PostForm>
            </section>

            {move || issued.get().map(|link| view! { <IssuedLink link issued /> })}

            <FormError errors=Signal::from(problem) />

            <div class="toolbar users-toolbar" role="search" aria-label="Filter users">
                <div class="field">
                    <label for="users-filter">"Search"</label>
                    <input
                        id="users-filter"
                        type="search"
                        placeholder="Name or e-mail"
                        maxlength=EMAIL_MAX
                        autocomplete="off"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="users-state">"State"</label>
                    <select id="users-state" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="all" selected=move || status.get() == "all">"All states"</option>
                        {UserStatus::ALL
                            .into_iter()
                            .map(|s| view! { <option value=s.as_str() selected=move || status.get() == s.as_str()>{s.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
            </div>

            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        Ok(rows) if rows.is_empty() => {
                            let filtered = !text.get_untracked().trim().is_empty() || status.get_untracked() != "all";
                            view! {
                                <div class="empty-state">
                                    <p class="empty-title">{if filtered { "No users match these filters" } else { "No users yet" }}</p>
                                    {if filtered {
                                        view! {
                                            <button class="button" type="button" on:click=move |_| { text.set(String::new()); status.set("all".to_owned()); }>
                                                "Clear filters"
                                            </button>
                                        }.into_any()
                                    } else {
                                        view! { <p class="muted">"Invite someone to get started."</p> }.into_any()
                                    }}
                                </div>
                            }.into_any()
                        }
                        Ok(rows) => view! { <UserTable rows my_id ask busy /> }.into_any(),
                    }
                })}
            </Transition>
            <SignInLocks />
        </div>
        <ConfirmDialog
            open=confirm_open
            title=Signal::derive(move || question().map(|q| q.0).unwrap_or_default())
            message=Signal::derive(move || question().map(|q| q.1).unwrap_or_default())
            confirm_label=Signal::derive(move || question().map(|q| q.2.to_owned()).unwrap_or_default())
            danger=true
            on_confirm=move |_| {
                if let Some(s) = subject.get_untracked() {
                    run(s);
                }
            }
        />
    }
    .into_any()
}

#[component]
fn UserTable(rows: Vec<UserSummary>, my_id: UserId, ask: Callback<Subject>, busy: Signal<bool>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data stack-on-mobile users-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"E-mail"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|u| view! { <UserRow u my_id ask busy /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn UserRow(u: UserSummary, my_id: UserId, ask: Callback<Subject>, busy: Signal<bool>) -> impl IntoView {
    let me = u.id == my_id;
    let (id, name) = (u.id, u.name.clone());
    let button = move |op: Op, label: &'static str, danger: bool| {
        let s = Subject { op, id, name: name.clone() };
        let aria = format!("{label}: {name}");
        view! {
            <button
                class=if danger { "button danger-text" } else { "button" }
                type="button"
                aria-label=aria
                disabled=move || busy.get()
                on:click=move |_| ask.run(s.clone())
            >
                {label}
            </button>
        }
    };
    let actions = match u.status {
        UserStatus::Pending => vec![button(Op::Reinvite, "New link", false), button(Op::Disable, "Disable", true)],
        UserStatus::Active => {
            let mut a = vec![button(Op::ResetLink, "Reset link", false)];
            a.push(if u.is_admin {
                button(Op::RevokeAdmin, "Remove Admin", false)
            } else {
                button(Op::GrantAdmin, "Make Admin", false)
            });
            if !me {
                a.push(button(Op::Disable, "Disable", true));
            }
            a
        }
        UserStatus::Disabled => vec![button(Op::Enable, "Enable", false)],
    };
    view! {
        <tr data-user=u.email.clone()>
            <td data-label="Name">
                <span class="user-cell">{u.name.clone()} {me.then(|| view! { <span class="muted small nowrap">" (you)"</span> })}</span>
            </td>
            <td data-label="E-mail" class="wrap-anywhere">{email_view(&u.email)}</td>
            <td data-label="Role">
                {if u.is_admin {
                    view! { <span class="badge accent">"Admin"</span> }.into_any()
                } else {
                    view! { <span aria-label="No instance role">"—"</span> }.into_any()
                }}
            </td>
            <td data-label="State"><span class=u.status.badge()>{u.status.label()}</span></td>
            <td data-label="Created" class="nowrap">
                <time datetime=rfc3339(u.created_at) title=short(u.created_at)>{day(u.created_at)}</time>
            </td>
            <td class="actions">{actions.into_iter().collect_view()}</td>
        </tr>
    }
}

/// Sign-in locks in force, so an Admin can see who is held back and lift a lock early.
#[component]
fn SignInLocks() -> impl IntoView {
    let toasts = use_toasts();
    let reload = RwSignal::new(0u32);
    let locks = wire::resource(move || reload.get(), |_| sign_in_locks());
    let problem = RwSignal::new(None::<AppError>);
    let clear = move |key: String| {
        leptos::task::spawn_local(async move {
            match sign_in_lock_clear(key).await {
                Ok(()) => {
                    problem.set(None);
                    toasts.show("Lock lifted.");
                }
                Err(e) => problem.set(Some(e)),
            }
            reload.update(|n| *n += 1);
        });
    };
    view! {
        <section class="panel locks" aria-labelledby="locks-title">
            <div class="page-head">
                <h2 id="locks-title">"Sign-in locks"</h2>
                <button class="button" type="button" on:click=move |_| reload.update(|n| *n += 1)>"Refresh"</button>
            </div>
            <p class="muted small">
                "Repeated wrong passwords hold back the address they came from (15 minutes) and slow the account down; the owner elsewhere can still sign in."
            </p>
            <FormError errors=Signal::from(problem) />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match locks.await {
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        Ok(rows) if rows.is_empty() => view! { <p class="muted" data-empty="locks">"No sign-in locks in force."</p> }.into_any(),
                        Ok(rows) => view! {
                            <div class="table-wrap">
                                <table class="data stack-on-mobile" data-table="locks">
                                    <thead><tr><th>"Account"</th><th>"Address"</th><th>"What"</th><th>"Attempts"</th><th>"Lifts"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|l| view! { <LockRow l clear /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn LockRow(l: SignInLock, clear: impl Fn(String) + Copy + Send + Sync + 'static) -> impl IntoView {
    let what = match l.kind {
        LockKind::AccountFromAddress => "Account refused from this address",
        LockKind::AccountSlowed => "Account slowed down",
        LockKind::Address => "Address refused for every account",
    };
    let label = format!("Lift lock: {} {}", l.email.clone().unwrap_or_default(), l.ip.clone().unwrap_or_default());
    let key = l.key.clone();
    view! {
        <tr>
            <td data-label="Account" class="wrap-anywhere">{l.email.clone().unwrap_or_else(|| "any".to_owned())}</td>
            <td data-label="Address" class="wrap-anywhere">{l.ip.clone().unwrap_or_else(|| "any".to_owned())}</td>
            <td data-label="What">{what}</td>
            <td data-label="Attempts">{l.attempts}</td>
            <td data-label="Lifts" class="nowrap"><time datetime=rfc3339(l.until)>{short(l.until)}</time></td>
            <td class="actions">
                <button class="button" type="button" aria-label=label on:click=move |_| clear(key.clone())>"Lift"</button>
            </td>
        </tr>
    }
}

/// An e-mail address that, when it must wrap, wraps before the `@` first.
fn email_view(email: &str) -> impl IntoView + use<> {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let (local, domain) = (local.to_owned(), domain.to_owned());
    let at = (!domain.is_empty()).then_some("@");
    view! { {local}<wbr />{at}{domain} }
}

/// The link just issued, with a Copy button. It is shown only now: the server keeps no copy.
#[component]
fn IssuedLink(link: IssuedLinkView, issued: RwSignal<Option<IssuedLinkView>>) -> impl IntoView {
    let toasts = use_toasts();
    let url = format!("{}{}", origin(), link.path);
    let input = NodeRef::<Input>::new();
    let (title, validity) = match link.purpose {
        LinkPurpose::Invitation => (format!("Invitation link for {}", link.name), "once, for 7 days"),
        LinkPurpose::PasswordReset => (format!("Password reset link for {}", link.name), "once, for 24 hours"),
    };
    let to_copy = url.clone();
    view! {
        <section class="panel issued-link" aria-labelledby="issued-link-title">
            <h2 id="issued-link-title">{title}</h2>
            {if link.emailed {
                view! {
                    <p id="issued-link-emailed">
                        "Secryn is e-mailing this link to " <strong>{link.email.clone()}</strong> ". "
                        "It works " {validity} " (until " {short(link.expires_at)} "). You can also copy it:"
                    </p>
                }.into_any()
            } else {
                view! {
                    <p>
                        "Copy this link and send it to them at " <strong>{link.email.clone()}</strong> ". "
                        "It works " {validity} " (until " {short(link.expires_at)} ")."
                    </p>
                }.into_any()
            }}
            <p class="muted small">
                "This is the only time the link is shown. Secryn e-mails links itself once e-mail is set up under Settings."
            </p>
            <div class="copy-box">
                <input
                    id="issued-link"
                    node_ref=input
                    readonly=true
                    aria-label="Link to send"
                    value=url
                    on:focus=move |_| {
                        if let Some(i) = input.get_untracked() {
                            i.select();
                        }
                    }
                />
                <button class="button primary" type="button" on:click=move |_| {
                    if let Some(i) = input.get_untracked() {
                        i.select();
                    }
                    copy(to_copy.clone(), toasts);
                }>
                    "Copy"
                </button>
            </div>
            <button class="button" type="button" on:click=move |_| issued.set(None)>"Done"</button>
        </section>
    }
}
