//! First run: the setup code from the server's output, the instance name and the first Admin.

use crate::api::Setup;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{Field, FormError, action_error};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SetupPage() -> impl IntoView {
    let action = FormAction::<Setup>::new();
    let errors = action_error(action);
    view! {
        <Title text="Set up" />
        <main class="auth-page" id="main">
            <div class="auth-card wide">
                <p class="brand-line"><span class="brand-mark" aria-hidden="true">"◆"</span>" Secryn"</p>
                <h1>"Set up Secryn"</h1>
                <p class="lead">
                    "Create the first Admin. The setup code was printed by the server when it started; "
                    "run " <code>"secryn setup-code"</code> " for a fresh one."
                </p>
                <PostForm action=action attr:class="stack" attr:novalidate=true>
                    <FormError errors />
                    <Field label="Setup code" name="code" errors autocomplete="one-time-code" autofocus=true maxlength=64 hint="Four groups of four characters, for example ABCD-EFGH-JKMN-PQRS." />
                    <Field label="Instance name" name="instance_name" errors value="Secryn" maxlength=100 hint="Shown in the top bar, for example the team or company." />
                    <fieldset>
                        <legend>"First Admin"</legend>
                        <Field label="Your name" name="admin_name" errors autocomplete="name" maxlength=100 />
                        <Field label="E-mail" name="admin_email" kind="email" errors autocomplete="email" maxlength=254 />
                        <Field label="Password" name="password" kind="password" errors autocomplete="new-password" maxlength=256 hint="At least 12 characters." />
                        <Field label="Repeat password" name="password_confirm" kind="password" errors autocomplete="new-password" maxlength=256 />
                    </fieldset>
                    <button class="button primary" type="submit" data-busy="Setting up…" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Setting up…" } else { "Create Admin and sign in" }}
                    </button>
                </PostForm>
            </div>
        </main>
    }
}
