//! Support: the list of tickets (one's own; every ticket for an Admin) with a status filter
//! and "New ticket", and one ticket's conversation with a reply box and, for Admins, the
//! status.

use crate::api::support::{FileTicket, ReplyTicket, SetTicketStatus, support_ticket, support_tickets};
use crate::domain::support::{BODY_MAX, Ticket, TicketKind, TicketStatus, TicketSummary};
use crate::domain::time::short;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{ErrorSignal, Field, FormError, SelectField, action_error};
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::{Breadcrumbs, use_user};
use crate::wire;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

fn status_badge(status: TicketStatus) -> impl IntoView {
    let class = match status {
        TicketStatus::Open => "badge warn",
        TicketStatus::Answered => "badge accent",
        TicketStatus::Closed => "badge",
    };
    view! { <span class=class>{status.label()}</span> }
}

/// A labelled text area with its error beneath (a description or a reply).
#[component]
fn TextField(label: &'static str, name: &'static str, errors: ErrorSignal) -> impl IntoView {
    let id = format!("field-{name}");
    let err_id = format!("{id}-error");
    let message = move || errors.get().and_then(|e| e.for_field(name));
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <textarea id=id name=name rows="6" maxlength=BODY_MAX
                aria-invalid=move || message().is_some().to_string() aria-describedby=err_id.clone()></textarea>
            <p class="field-error" id=err_id>{message}</p>
        </div>
    }
}

fn kind_choices() -> Vec<(String, String)> {
    TicketKind::ALL.into_iter().map(|k| (k.as_str().to_owned(), k.label().to_owned())).collect()
}

#[component]
pub fn SupportPage() -> impl IntoView {
    let is_admin = use_user().is_some_and(|u| u.is_admin);
    let status = RwSignal::new(String::new());
    let create = FormAction::<FileTicket>::new();
    let errors = action_error(create);
    let creating = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/support/{id}"), Default::default());
        }
    });
    let tickets = wire::resource(move || status.get(), support_tickets);
    let intro = if is_admin {
        "Every bug report and feature request people have filed. Reply to answer; close what is done."
    } else {
        "Report a bug or ask for a feature. The Admins of this Secryn read it and answer here."
    };
    view! {
        <Title text="Support" />
        <div class="page">
            <Breadcrumbs current="Support".to_owned() />
            <div class="page-head">
                <h1>"Support"</h1>
                <button class="button primary" type="button" on:click=move |_| creating.update(|c| *c = !*c)>"New ticket"</button>
            </div>
            <p class="muted">{intro}</p>
            <Show when=move || creating.get()>
                <section class="panel">
                    <h2>"New ticket"</h2>
                    <PostForm action=create attr:class="stack" attr:novalidate=true>
                        <FormError errors />
                        <SelectField label="Type" name="kind" errors options=kind_choices() />
                        <Field label="Title" name="title" errors maxlength=200 autofocus=true />
                        <TextField label="Description" name="description" errors />
                        <button class="button primary" type="submit" disabled=move || create.pending().get()>"File ticket"</button>
                    </PostForm>
                </section>
            </Show>
            <div class="toolbar" role="search">
                <div class="field">
                    <label for="ticket-status">"Status"</label>
                    <select id="ticket-status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">"Any"</option>
                        {TicketStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tickets.await {
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <div class="empty-state" data-empty="tickets">
                                <p class="empty-title">"No tickets here"</p>
                                <p class="muted">"File one with New ticket; you will be notified of every reply."</p>
                            </div>
                        }.into_any(),
                        Ok(list) => view! { <TicketTable list /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn TicketTable(list: Vec<TicketSummary>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|t| {
            view! {
                <tr>
                    <td data-label="Title" class="wrap-anywhere"><a href=format!("/support/{}", t.id)>{t.title}</a></td>
                    <td data-label="Type">{t.kind.label()}</td>
                    <td data-label="Status">{status_badge(t.status)}</td>
                    <td data-label="Filed by">{t.author}</td>
                    <td data-label="Replies">{t.replies}</td>
                    <td data-label="Updated">{short(t.updated_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data stack-on-mobile" data-table="tickets">
                <thead>
                    <tr>
                        <th scope="col">"Title"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Filed by"</th>
                        <th scope="col">"Replies"</th>
                        <th scope="col">"Updated"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// One ticket: its messages, the reply box, and (for Admins) the status.
#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let reply = FormAction::<ReplyTicket>::new();
    let status = FormAction::<SetTicketStatus>::new();
    let reply_errors = action_error(reply);
    let status_errors = action_error(status);
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = reply.value().get() {
            toasts.show("Reply sent.");
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(t)) = status.value().get() {
            toasts.show(format!("Marked {}.", t.summary.status.label().to_lowercase()));
        }
    });
    let ticket =
        wire::resource(move || (id(), reply.version().get(), status.version().get()), |(id, _, _)| support_ticket(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match ticket.await {
                    Err(e) => view! {
                        <div class="page">
                            <Breadcrumbs trail=vec![("Support".into(), "/support".into())] current="Ticket".to_owned() />
                            <p class="form-error" role="alert">{e.message}</p>
                        </div>
                    }.into_any(),
                    Ok(t) => view! { <Conversation t reply reply_errors status status_errors /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Conversation(
    t: Ticket,
    reply: FormAction<ReplyTicket>,
    reply_errors: ErrorSignal,
    status: FormAction<SetTicketStatus>,
    status_errors: ErrorSignal,
) -> impl IntoView {
    let Ticket { summary, messages, can_set_status } = t;
    let id = summary.id.clone();
    let messages = messages
        .into_iter()
        .map(|m| {
            let who = if m.from_support { format!("{} (Support)", m.author) } else { m.author };
            view! {
                <li class="panel message" class:from-support=m.from_support>
                    <p class="muted small"><strong>{who}</strong>" · "{short(m.at)}</p>
                    <p class="message-body">{m.body}</p>
                </li>
            }
        })
        .collect_view();
    let choices = TicketStatus::ALL.into_iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())).collect();
    let current = summary.status.as_str().to_owned();
    let (reply_id, status_id) = (id.clone(), id);
    // A sent reply leaves an empty box for the next one.
    let reply_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = reply.value().get()
            && let Some(form) = reply_form.get_untracked()
        {
            form.reset();
        }
    });
    view! {
        <Title text=summary.title.clone() />
        <div class="page ticket-page">
            <Breadcrumbs trail=vec![("Support".into(), "/support".into())] current=summary.title.clone() />
            <div class="page-head">
                <h1>{summary.title.clone()}</h1>
                {status_badge(summary.status)}
            </div>
            <p class="muted">{format!("{} filed by {}, {}", summary.kind.label(), summary.author, short(summary.created_at))}</p>
            <ol class="messages stack" aria-label="Messages">{messages}</ol>
            <section class="panel" aria-labelledby="reply-title">
                <h2 id="reply-title">"Reply"</h2>
                <PostForm action=reply node_ref=reply_form attr:class="stack" attr:novalidate=true>
                    <input type="hidden" name="id" value=reply_id />
                    <FormError errors=reply_errors />
                    <TextField label="Your reply" name="body" errors=reply_errors />
                    <button class="button primary" type="submit" disabled=move || reply.pending().get()>"Send reply"</button>
                </PostForm>
            </section>
            {can_set_status.then(|| view! {
                <section class="panel" aria-labelledby="status-title">
                    <h2 id="status-title">"Change status"</h2>
                    <PostForm action=status attr:class="stack" attr:novalidate=true>
                        <input type="hidden" name="id" value=status_id />
                        <FormError errors=status_errors />
                        <SelectField label="Status" name="status" errors=status_errors options=choices selected=current />
                        <button class="button" type="submit" disabled=move || status.pending().get()>"Set status"</button>
                    </PostForm>
                </section>
            })}
        </div>
    }
}
