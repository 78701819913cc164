//! The tab bar of a page whose tabs are nested routes: the page frame stays mounted while the
//! tab below it changes, and the current tab follows the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Links to `base` + each suffix; the one matching the current path is `aria-current="page"`.
#[component]
pub fn TabBar(label: &'static str, base: String, tabs: Vec<(&'static str, &'static str)>) -> impl IntoView {
    let location = use_location();
    let links = tabs
        .into_iter()
        .map(|(suffix, text)| {
            let href = format!("{base}{suffix}");
            let here = href.clone();
            let current = move || location.pathname.with(|p| p.trim_end_matches('/') == here).then_some("page");
            view! { <a href=href aria-current=current>{text}</a> }
        })
        .collect_view();
    view! { <nav class="tabs" aria-label=label>{links}</nav> }
}
