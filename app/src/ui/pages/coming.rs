//! Placeholder for sections whose issue has not landed yet. Admin sections stay hidden from
//! everyone else.

use crate::ui::layout::{Breadcrumbs, use_user};
use crate::ui::pages::not_found::NotFound;
use leptos::prelude::*;
use leptos_meta::Title;

/// A page that says its section is coming.
pub fn coming(title: &'static str, admin_only: bool) -> AnyView {
    if admin_only && !use_user().is_some_and(|u| u.is_admin) {
        return view! { <NotFound /> }.into_any();
    }
    view! {
        <Title text=title />
        <div class="page">
            <Breadcrumbs current=title.to_owned() />
            <h1>{title}</h1>
            <div class="empty-state">
                <p class="empty-title">{title} " is coming"</p>
                <p class="muted">"This section arrives in a coming release of Secryn."</p>
            </div>
        </div>
    }
    .into_any()
}
