//! Sign-in with e-mail and password.

use crate::api::Login;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{Field, FormError, action_error};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = FormAction::<Login>::new();
    let errors = action_error(action);
    let (next, reset, restored) = use_query_map()
        .with_untracked(|q| (q.get("next").unwrap_or_default(), q.get("reset").is_some(), q.get("restored").is_some()));
    view! {
        <Title text="Sign in" />
        <main class="auth-page" id="main">
            <div class="auth-card">
                <p class="brand-line"><span class="brand-mark" aria-hidden="true">"◆"</span>" Secryn"</p>
                <h1>"Sign in"</h1>
                {reset.then(|| view! { <p class="notice" role="status">"Your new password is set and every earlier session was signed out. Sign in with it."</p> })}
                {restored.then(|| view! { <p class="notice" role="status">"The instance was restored from a backup and every session ended. Sign in with an account from the backup."</p> })}
                <PostForm action=action attr:class="stack" attr:novalidate=true>
                    <FormError errors />
                    <input type="hidden" name="next" value=next />
                    <Field label="E-mail" name="email" kind="email" errors autocomplete="username" maxlength=254 autofocus=true />
                    <Field label="Password" name="password" kind="password" errors autocomplete="current-password" maxlength=256 />
                    <button class="button primary" type="submit" data-busy="Signing in…" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </PostForm>
                <p class="muted small">"No account? Ask an Admin of this Secryn to invite you."</p>
            </div>
        </main>
    }
}
