//! The frame around every signed-in page: sidebar, top bar with the instance name and user
//! menu, and the page outlet. The signed-in user is provided as context to the pages.

use crate::api::{Logout, get_shell};
use crate::domain::session::{CurrentUser, ShellInfo};
use crate::ui::components::action::{FormAction, PostForm};
use crate::wire;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

/// The bell's unread count, shared so the notifications page can lower it as it marks.
#[derive(Clone, Copy)]
pub struct Unread(pub RwSignal<i64>);

/// The signed-in user, for pages inside the layout.
pub fn use_user() -> Option<CurrentUser> {
    use_context::<ShellInfo>().and_then(|s| s.user)
}

#[component]
pub fn Layout() -> impl IntoView {
    let info = wire::blocking_resource(|| (), |_| get_shell());
    view! {
        <Suspense fallback=|| view! { <div class="loading">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(info) => view! { <Frame info /> }.into_any(),
                    Err(e) => view! {
                        <main class="page narrow">
                            <h1>"Something went wrong"</h1>
                            <p class="form-error" role="alert">{e.message}</p>
                            <p><a href="/login">"Sign in again"</a></p>
                        </main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(info: ShellInfo) -> impl IntoView {
    let menu_open = RwSignal::new(false);
    let is_admin = info.user.as_ref().is_some_and(|u| u.is_admin);
    let user_name = info.user.as_ref().map(|u| u.name.clone()).unwrap_or_default();
    let instance = info.instance_name.clone();
    let backup_failed_at = info.backup_failed_at;
    let unread = Unread(RwSignal::new(info.unread_notifications));
    provide_context(unread);
    provide_context(info);
    let logout = FormAction::<Logout>::new();
    let user_menu = NodeRef::<leptos::html::Details>::new();
    let close_user_menu = move || {
        if let Some(d) = user_menu.get_untracked() {
            d.set_open(false);
        }
    };
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app" class:menu-open=move || menu_open.get()>
            <header class="topbar">
                <button
                    class="icon-button menu-toggle"
                    aria-controls="sidebar"
                    aria-expanded=move || menu_open.get().to_string()
                    aria-label="Menu"
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    <span aria-hidden="true">"☰"</span>
                </button>
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <span class="brand-name">{instance}</span>
                </a>
                <crate::ui::theme::ThemeToggle />
                <Bell unread />
                <details
                    class="user-menu"
                    node_ref=user_menu
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            close_user_menu();
                        }
                    }
                >
                    // The name read aloud starts with the name shown (WCAG 2.5.3, label in name).
                    <summary aria-label=format!("{user_name}, user menu")>
                        // Initials drawn by CSS: decoration, not text that must match the name.
                        <span class="avatar" aria-hidden="true" data-initials=initials(&user_name)></span>
                        <span class="user-name">{user_name.clone()}</span>
                    </summary>
                    <div class="menu" role="menu" on:click=move |_| close_user_menu()>
                        <a role="menuitem" href="/profile">"Profile"</a>
                        <PostForm action=logout>
                            <button role="menuitem" type="submit" class="menu-button">"Sign out"</button>
                        </PostForm>
                    </div>
                </details>
            </header>
            // Following a link closes the drawer on narrow screens.
            <nav id="sidebar" class="sidebar" aria-label="Main" on:click=move |_| menu_open.set(false)>
                <ul>
                    <NavItem href="/projects" label="Projects" />
                    <NavItem href="/support" label="Support" />
                </ul>
                <Show when=move || is_admin>
                    <p class="nav-heading">"Administration"</p>
                    <ul>
                        <NavItem href="/admin/users" label="Users" />
                        <NavItem href="/admin/logs" label="Logs" />
                        <NavItem href="/admin/backups" label="Backups" />
                        <NavItem href="/admin/settings" label="Settings" />
                    </ul>
                </Show>
            </nav>
            <div class="scrim" on:click=move |_| menu_open.set(false)></div>
            <main id="main" class="content" tabindex="-1">
                {backup_failed_at.map(|at| view! {
                    <p class="notice error shell-alert" role="alert">
                        {format!("The scheduled backup of {} failed. ", crate::domain::time::short(at))}
                        <a href="/admin/backups">"See Backups"</a>
                    </p>
                })}
                <Outlet />
            </main>
        </div>
    }
}

/// The top bar's link to the notifications, with the unread count read out in its name.
#[component]
fn Bell(unread: Unread) -> impl IntoView {
    let label = move || match unread.0.get() {
        0 => "Notifications".to_owned(),
        1 => "Notifications, 1 unread".to_owned(),
        n => format!("Notifications, {n} unread"),
    };
    view! {
        <a class="bell" href="/notifications" aria-label=label>
            <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor"
                stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
                <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
            </svg>
            <Show when=move || { unread.0.get() > 0 }>
                <span class="bell-count" aria-hidden="true">{move || unread.0.get().min(99)}</span>
            </Show>
        </a>
    }
}

#[component]
fn NavItem(href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <li>
            <A href=href>{label}</A>
        </li>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase()
}

/// The trail at the top of every page: Home › … › current page.
#[component]
pub fn Breadcrumbs(#[prop(optional)] trail: Vec<(String, String)>, current: String) -> impl IntoView {
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li>
                    <a href="/">"Home"</a>
                </li>
                {trail
                    .into_iter()
                    .map(|(label, href)| view! { <li><a href=href>{label}</a></li> })
                    .collect_view()}
                <li aria-current="page">{current}</li>
            </ol>
        </nav>
    }
}
