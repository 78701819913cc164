//! The bell's list: the signed-in person's notifications, newest first, each linking to the
//! resources it names, with "Mark read" and "Mark all read".

use crate::api::notifications::{mark_all_notifications_read, mark_notification_read, notifications};
use crate::domain::notification::{Item, Notification};
use crate::domain::time::short;
use crate::ui::components::reload::Reloading;
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::{Breadcrumbs, Unread};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let inbox = Reloading::new(String::new, |_| notifications());
    let unread = expect_context::<Unread>();
    // The list is newer than the page frame's count: the bell follows it.
    Effect::new(move |_| {
        if let Some(Ok(inbox)) = inbox.list.get() {
            unread.0.set(inbox.unread);
        }
    });
    let toasts = use_toasts();
    let error = RwSignal::new(None::<String>);
    let settle = move |result: Result<i64, crate::domain::AppError>, done: &'static str| match result {
        Ok(left) => {
            unread.0.set(left);
            error.set(None);
            toasts.show(done);
            inbox.again();
        }
        Err(e) => error.set(Some(e.message)),
    };
    let read_all = move |_| {
        leptos::task::spawn_local(async move { settle(mark_all_notifications_read().await, "All marked read") })
    };
    let read_one = move |id: String| {
        leptos::task::spawn_local(async move { settle(mark_notification_read(id).await, "Marked read") })
    };
    view! {
        <Title text="Notifications" />
        <div class="page">
            <Breadcrumbs current="Notifications".to_owned() />
            <div class="page-head">
                <h1>"Notifications"</h1>
                <Show when=move || { unread.0.get() > 0 }>
                    <button class="button" type="button" on:click=read_all>"Mark all read"</button>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match inbox.list.await {
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        Ok(inbox) if inbox.notifications.is_empty() => view! {
                            <div class="empty-state">
                                <p class="empty-title">"No notifications"</p>
                                <p class="muted">
                                    "Secryn tells you here when a secret, key or certificate you look after is about to expire."
                                </p>
                            </div>
                        }.into_any(),
                        Ok(inbox) => view! {
                            <ul class="notifications">
                                {inbox.notifications.into_iter().map(|n| view! { <Entry n read_one /> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// One notification: its title (a link when it leads somewhere), when, the resources a
/// digest of several names, and "Mark read" while unread.
#[component]
fn Entry(n: Notification, read_one: impl Fn(String) + Copy + Send + Sync + 'static) -> impl IntoView {
    let id = n.id.to_string();
    let (link, detail) = match n.items.as_slice() {
        [one] => (Some(one.href()), Some(where_and_when(one))),
        _ => (n.link.clone(), None),
    };
    let title = match link {
        Some(href) => view! { <a href=href>{n.title.clone()}</a> }.into_any(),
        None => n.title.clone().into_any(),
    };
    let list = (n.items.len() > 1).then(|| {
        view! {
            <ul class="notification-items">
                {n.items.iter().map(|item| view! {
                    <li>
                        <a href=item.href()>{item.line()}</a>
                        <span class="muted">{format!(" — {}", where_and_when(item))}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    });
    view! {
        <li class="notification" class:unread=!n.read>
            <div class="notification-head">
                <p class="notification-title">
                    {(!n.read).then(|| view! { <span class="sr-only">"Unread: "</span> })}
                    {title}
                </p>
                <span class="muted">{short(n.created_at)}</span>
            </div>
            {detail.map(|d| view! { <p class="muted notification-detail">{d}</p> })}
            {list}
            {(!n.read).then(|| view! {
                <button class="button quiet" type="button" on:click=move |_| read_one(id.clone())>"Mark read"</button>
            })}
        </li>
    }
}

/// "Payments / prod, expires 2026-12-07 14:35 UTC".
fn where_and_when(item: &Item) -> String {
    format!("{}, expires {}", item.place, short(item.expires_at))
}
