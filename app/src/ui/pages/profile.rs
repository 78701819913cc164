//! The signed-in user's own profile: password and notification preference.

use crate::api::{ChangePassword, SavePreferences};
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{Field, FormError, action_error};
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::{Breadcrumbs, use_user};
use leptos::html::Form;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let user = use_user();
    let (name, email, notify) = user.map(|u| (u.name, u.email, u.email_notifications)).unwrap_or_default();
    let toasts = use_toasts();

    let password = FormAction::<ChangePassword>::new();
    let password_errors = action_error(password);
    let password_form = NodeRef::<Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = password.value().get() {
            toasts.show("Password changed. Other sessions were signed out.");
            if let Some(f) = password_form.get() {
                f.reset();
            }
        }
    });

    let prefs = FormAction::<SavePreferences>::new();
    let prefs_errors = action_error(prefs);
    Effect::new(move |_| {
        if let Some(Ok(())) = prefs.value().get() {
            toasts.show("Notification preference saved.");
        }
    });

    view! {
        <Title text="Profile" />
        <div class="page narrow">
            <Breadcrumbs current="Profile".to_owned() />
            <h1>"Profile"</h1>
            <dl class="facts">
                <dt>"Name"</dt><dd>{name}</dd>
                <dt>"E-mail"</dt><dd>{email}</dd>
            </dl>
            <section class="panel">
                <h2>"Change password"</h2>
                <PostForm action=password node_ref=password_form attr:class="stack" attr:novalidate=true>
                    <FormError errors=password_errors />
                    <Field label="Current password" name="current_password" kind="password" errors=password_errors autocomplete="current-password" maxlength=256 />
                    <Field label="New password" name="new_password" kind="password" errors=password_errors autocomplete="new-password" maxlength=256 hint="At least 12 characters." />
                    <Field label="Repeat new password" name="confirm_password" kind="password" errors=password_errors autocomplete="new-password" maxlength=256 />
                    <button class="button primary" type="submit" disabled=move || password.pending().get()>"Change password"</button>
                </PostForm>
            </section>
            <section class="panel">
                <h2>"Notifications"</h2>
                <PostForm action=prefs attr:class="stack">
                    <FormError errors=prefs_errors />
                    <label class="check">
                        <input type="checkbox" name="email_notifications" checked=notify />
                        " E-mail me about expiring secrets, keys and certificates"
                    </label>
                    <button class="button" type="submit" disabled=move || prefs.pending().get()>"Save preference"</button>
                </PostForm>
            </section>
        </div>
    }
}
