//! The web UI: the document shell, the routes, the layout every page lives in, and pages.

pub mod components;
pub mod layout;
pub mod pages;
pub mod split;
pub mod theme;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::SsrMode;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use split::{lazy, page};

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
                    view! {
                        {split_preloads(&options)}
                        <HydrationScripts options />
                    }
                    .into_any()
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

/// The preload links of the page being rendered's area parts (see [`split::preload_links`]).
fn split_preloads(options: &leptos::config::LeptosOptions) -> impl IntoView + use<> {
    #[cfg(feature = "ssr")]
    {
        let path = with_context::<http::request::Parts, _>(|p| p.uri.path().to_owned()).unwrap_or_default();
        split::preload_links(options, &path)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = options;
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
                <Route path=path!("/setup") view={lazy::<{ page::SETUP }>()} ssr=SsrMode::Async />
                <Route path=path!("/login") view={lazy::<{ page::LOGIN }>()} ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view={lazy::<{ page::INVITE }>()} ssr=SsrMode::Async />
                <Route path=path!("/reset/:token") view={lazy::<{ page::RESET }>()} ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=layout::Layout ssr=SsrMode::Async>
                    <Route path=path!("/") view={lazy::<{ page::HOME }>()} />
                    <Route path=path!("/profile") view={lazy::<{ page::PROFILE }>()} />
                    <Route path=path!("/notifications") view={lazy::<{ page::NOTIFICATIONS }>()} />
                    <Route path=path!("/projects") view={lazy::<{ page::PROJECTS }>()} />
                    <ParentRoute path=path!("/projects/:id") view={lazy::<{ page::PROJECT }>()}>
                        <Route path=path!("") view={lazy::<{ page::PROJECT_VAULTS }>()} />
                        <Route path=path!("members") view={lazy::<{ page::PROJECT_MEMBERS }>()} />
                        <Route path=path!("settings") view={lazy::<{ page::PROJECT_SETTINGS }>()} />
                    </ParentRoute>
                    <ParentRoute path=path!("/vaults/:id") view={lazy::<{ page::VAULT }>()}>
                        <Route path=path!("") view={lazy::<{ page::VAULT_SECRETS }>()} />
                        <Route path=path!("keys") view={lazy::<{ page::VAULT_KEYS }>()} />
                        <Route path=path!("certificates") view={lazy::<{ page::VAULT_CERTIFICATES }>()} />
                        <Route path=path!("access-keys") view={lazy::<{ page::VAULT_ACCESS_KEYS }>()} />
                        <Route path=path!("settings") view={lazy::<{ page::VAULT_SETTINGS }>()} />
                    </ParentRoute>
                    <Route path=path!("/secrets/:id") view={lazy::<{ page::SECRET }>()} />
                    <Route path=path!("/keys/:id") view={lazy::<{ page::KEY }>()} />
                    <Route path=path!("/certificates/:id") view={lazy::<{ page::CERTIFICATE }>()} />
                    <Route path=path!("/admin/users") view={lazy::<{ page::USERS }>()} />
                    <Route path=path!("/admin/backups") view={lazy::<{ page::BACKUPS }>()} />
                    <Route path=path!("/admin/settings") view={lazy::<{ page::SETTINGS }>()} />
                    <Route path=path!("/support") view={lazy::<{ page::SUPPORT }>()} />
                    <Route path=path!("/support/:id") view={lazy::<{ page::TICKET }>()} />
                    <Route path=path!("/admin/logs") view={lazy::<{ page::LOGS }>()} />
                    <Route path=path!("/admin/logs/audit") view={lazy::<{ page::LOGS_AUDIT }>()} />
                    <Route path=path!("/admin/logs/requests") view={lazy::<{ page::LOGS_REQUESTS }>()} />
                    <Route path=path!("/admin/logs/users") view={lazy::<{ page::LOGS_USERS }>()} />
                    <Route path=path!("/admin/logs/mcp") view={lazy::<{ page::LOGS_MCP }>()} />
                </ParentRoute>
            </Routes>
        </Router>
        <components::toast::ToastHost />
    }
}
