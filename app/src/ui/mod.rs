//! The web UI: the document shell, the routes, the layout every page lives in, and pages.

pub mod components;
pub mod layout;
pub mod pages;
pub mod theme;

use crate::domain::logs::LogKind;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::SsrMode;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use pages::logs::LogsPage;
use pages::project::{ProjectPage, ProjectTab, ProjectTabBody};
use pages::vault::{VaultPage, VaultTab, VaultTabBody};

/// The HTML document around the app (server side only renders this).
pub fn shell(options: leptos::config::LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme::picked()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // Content-hashed names (`pkg/secryn.<hash>.css`) read from the site's hash.txt.
                <HashedStylesheet options=options.clone() id="secryn" />
                {if ships_bundle() {
                    view! { <HydrationScripts options /> }.into_any()
                } else {
                    // Keeps typed fields across a refused post; see the file.
                    view! { <script src="/forms.js" defer nonce=leptos::nonce::use_nonce()></script> }.into_any()
                }}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Whether the page being rendered loads the browser bundle: every page but the signed-out
/// ones (see [`is_signed_out_page`]).
fn ships_bundle() -> bool {
    #[cfg(feature = "ssr")]
    if let Some(signed_out) = with_context::<http::request::Parts, _>(|p| is_signed_out_page(p.uri.path())) {
        return !signed_out;
    }
    true
}

/// The pages a signed-out visitor meets: sign-in, setup, and the pages invitation and
/// password-reset links open. They are plain HTML forms that post to their server function
/// and work the same without the browser bundle, so they are sent without it and open at once
/// (`public/forms.js` keeps what was typed across a refused post). Their routes stay in the
/// client router for a signed-in page that navigates to one of them.
pub fn is_signed_out_page(path: &str) -> bool {
    matches!(path, "/login" | "/setup") || is_link_page(path)
}

/// The pages an invitation or password-reset link opens (one token, no further segment).
pub fn is_link_page(path: &str) -> bool {
    path.strip_prefix("/invite/")
        .or_else(|| path.strip_prefix("/reset/"))
        .is_some_and(|t| !t.is_empty() && !t.contains('/'))
}

/// The CSP nonce chosen by the security-headers middleware for this response.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

#[cfg(feature = "ssr")]
fn provide_request_nonce() {
    if let Some(Some(n)) =
        with_context::<http::request::Parts, _>(|p| p.extensions.get::<CspNonce>().map(|c| c.0.clone()))
    {
        provide_context(leptos::nonce::Nonce::from_value(n));
    }
}

/// The application: routes and the global toast host.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::toast::provide_toasts();
    view! {
        <Title formatter=|t: String| if t.is_empty() { "Secryn".to_owned() } else { format!("{t} · Secryn") } />
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/setup") view=pages::setup::SetupPage ssr=SsrMode::Async />
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=pages::invite::InvitePage ssr=SsrMode::Async />
                <Route path=path!("/reset/:token") view=pages::invite::ResetPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=layout::Layout ssr=SsrMode::Async>
                    <Route path=path!("/") view=pages::home::HomePage />
                    <Route path=path!("/profile") view=pages::profile::ProfilePage />
                    <Route path=path!("/notifications") view=pages::notifications::NotificationsPage />
                    <Route path=path!("/projects") view=pages::projects::ProjectsPage />
                    <ParentRoute path=path!("/projects/:id") view=ProjectPage>
                        <Route path=path!("") view=|| view! { <ProjectTabBody tab=ProjectTab::Vaults /> } />
                        <Route path=path!("members") view=|| view! { <ProjectTabBody tab=ProjectTab::Members /> } />
                        <Route path=path!("settings") view=|| view! { <ProjectTabBody tab=ProjectTab::Settings /> } />
                    </ParentRoute>
                    <ParentRoute path=path!("/vaults/:id") view=VaultPage>
                        <Route path=path!("") view=|| view! { <VaultTabBody tab=VaultTab::Secrets /> } />
                        <Route path=path!("keys") view=|| view! { <VaultTabBody tab=VaultTab::Keys /> } />
                        <Route path=path!("certificates") view=|| view! { <VaultTabBody tab=VaultTab::Certificates /> } />
                        <Route path=path!("access-keys") view=|| view! { <VaultTabBody tab=VaultTab::AccessKeys /> } />
                        <Route path=path!("settings") view=|| view! { <VaultTabBody tab=VaultTab::Settings /> } />
                    </ParentRoute>
                    <Route path=path!("/secrets/:id") view=pages::secret::SecretPageView />
                    <Route path=path!("/keys/:id") view=pages::key::KeyPageView />
                    <Route path=path!("/certificates/:id") view=pages::certificate::CertificatePageView />
                    <Route path=path!("/admin/users") view=pages::users::UsersPage />
                    <Route path=path!("/admin/backups") view=pages::backups::BackupsPage />
                    <Route path=path!("/admin/settings") view=pages::settings::SettingsPage />
                    <Route path=path!("/support") view=pages::support::SupportPage />
                    <Route path=path!("/support/:id") view=pages::support::TicketPage />
                    <Route path=path!("/admin/logs") view=pages::logs::LogsHome />
                    <Route path=path!("/admin/logs/audit") view=|| view! { <LogsPage kind=LogKind::Audit /> } />
                    <Route path=path!("/admin/logs/requests") view=|| view! { <LogsPage kind=LogKind::Requests /> } />
                    <Route path=path!("/admin/logs/users") view=|| view! { <LogsPage kind=LogKind::Users /> } />
                    <Route path=path!("/admin/logs/mcp") view=|| view! { <LogsPage kind=LogKind::Mcp /> } />
                </ParentRoute>
            </Routes>
        </Router>
        <components::toast::ToastHost />
    }
}
