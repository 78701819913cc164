//! Light and dark: the stylesheet follows the system setting unless the person picked a theme
//! with the toggle, which is remembered in a cookie so the server renders the page in that
//! theme from the first byte (no flash of the other one, no inline script).

use leptos::prelude::*;

/// The cookie holding a picked theme (`light` or `dark`); not a secret, read by the server.
pub const COOKIE: &str = "secryn_theme";

/// The theme this request's cookie picked, if any (the `data-theme` of `<html>`).
pub fn picked() -> Option<&'static str> {
    #[cfg(feature = "ssr")]
    {
        with_context::<http::request::Parts, _>(|parts| {
            let cookies = parts.headers.get(http::header::COOKIE)?.to_str().ok()?;
            cookies.split(';').find_map(|c| match c.trim().strip_prefix(COOKIE)?.strip_prefix('=')? {
                "dark" => Some("dark"),
                "light" => Some("light"),
                _ => None,
            })
        })?
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// A top-bar button that switches to the other theme and remembers the choice.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    view! {
        <button
            type="button"
            class="icon-button theme-toggle"
            aria-label="Switch between light and dark theme"
            title="Switch between light and dark theme"
            on:click=move |_| switch()
        >
            <span aria-hidden="true">"◐"</span>
        </button>
    }
}

/// Flips the theme shown now (the picked one, else the system's) and stores the new pick.
#[cfg(feature = "hydrate")]
fn switch() {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else { return };
    let Some(document) = window.document() else { return };
    let Some(root) = document.document_element() else { return };
    let dark_now = match root.get_attribute("data-theme").as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => window.match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches()),
    };
    let next = if dark_now { "light" } else { "dark" };
    let _ = root.set_attribute("data-theme", next);
    if let Ok(html) = document.dyn_into::<web_sys::HtmlDocument>() {
        let _ = html.set_cookie(&format!("{COOKIE}={next}; Path=/; Max-Age=31536000; SameSite=Lax"));
    }
}

#[cfg(not(feature = "hydrate"))]
fn switch() {}
