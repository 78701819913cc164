//! The landing page after sign-in.

use crate::ui::layout::use_user;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let user = use_user();
    let name = user.as_ref().map(|u| u.name.clone()).unwrap_or_default();
    let is_admin = user.as_ref().is_some_and(|u| u.is_admin);
    view! {
        <Title text="Home" />
        <div class="page">
            <nav class="breadcrumbs" aria-label="Breadcrumb"><ol><li aria-current="page">"Home"</li></ol></nav>
            <h1>"Welcome, " {name}</h1>
            <div class="cards">
                <a class="card" href="/projects">
                    <h2>"Projects"</h2>
                    <p>"Projects group the vaults that hold your secrets, keys and certificates."</p>
                </a>
                <a class="card" href="/profile">
                    <h2>"Your profile"</h2>
                    <p>"Change your password and choose whether Secryn e-mails you."</p>
                </a>
                {is_admin.then(|| view! {
                    <a class="card" href="/admin/users">
                        <h2>"Users"</h2>
                        <p>"Invite people and decide who administers this instance."</p>
                    </a>
                })}
            </div>
        </div>
    }
}
