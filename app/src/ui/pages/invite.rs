//! The two pages a link opens, signed out: accepting an invitation (`/invite/{token}`) and
//! choosing a new password (`/reset/{token}`). A link that cannot be used gets one page that
//! does not say why (unknown, expired, used or replaced read the same).

use crate::api::users::{InvitationAccept, LinkOwner, ResetAccept, invitation_get, reset_get};
use crate::domain::validate::{NAME_MAX, PASSWORD_MAX, SecretInput};
use crate::domain::{AppError, ErrorCode};
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{Field, FormError, action_error};
use crate::wire;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The token from the page's path.
fn token_param() -> String {
    use_params_map().with_untracked(|p| p.get("token")).unwrap_or_default()
}

/// The card every state of these pages is drawn in.
#[component]
fn Card(children: Children) -> impl IntoView {
    view! {
        <main class="auth-page" id="main">
            <div class="auth-card wide">
                <p class="brand-line"><span class="brand-mark" aria-hidden="true">"◆"</span>" Secryn"</p>
                {children()}
            </div>
        </main>
    }
}

/// What a link that cannot be used (or a failed lookup) shows.
fn unusable(e: AppError) -> AnyView {
    let heading = if e.code == ErrorCode::Gone { "This link cannot be used" } else { "Something went wrong" };
    view! {
        <Title text=heading />
        <h1>{heading}</h1>
        <p class="lead" role="alert">{e.message}</p>
        <p><a class="button" href="/login">"Go to sign-in"</a></p>
    }
    .into_any()
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let token = token_param();
    let lookup = token.clone();
    let owner = wire::blocking_resource(move || lookup.clone(), |t| invitation_get(SecretInput::new(t)));
    view! {
        <Card>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {
                    let token = token.clone();
                    move || {
                        let token = token.clone();
                        Suspend::new(async move {
                            match owner.await {
                                Ok(o) => view! { <AcceptForm owner=o token /> }.into_any(),
                                Err(e) => unusable(e),
                            }
                        })
                    }
                }
            </Suspense>
        </Card>
    }
}

#[component]
fn AcceptForm(owner: LinkOwner, token: String) -> impl IntoView {
    let action = FormAction::<InvitationAccept>::new();
    let errors = action_error(action);
    view! {
        <Title text="Accept invitation" />
        <h1>"Welcome to Secryn"</h1>
        <p class="lead">"You were invited as " <strong>{owner.email.clone()}</strong> ". Choose your name and a password to finish."</p>
        <PostForm action attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="token" value=token />
            <div class="field">
                <label for="field-invited-email">"E-mail"</label>
                <input id="field-invited-email" type="email" value=owner.email readonly=true autocomplete="username" />
            </div>
            <Field label="Your name" name="name" errors value=owner.name autocomplete="name" maxlength=NAME_MAX autofocus=true />
            <Field label="Password" name="password" kind="password" errors autocomplete="new-password" maxlength=PASSWORD_MAX hint="At least 12 characters." />
            <Field label="Repeat password" name="password_confirm" kind="password" errors autocomplete="new-password" maxlength=PASSWORD_MAX />
            <button class="button primary" type="submit" data-busy="Signing in…" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Signing in…" } else { "Accept and sign in" }}
            </button>
        </PostForm>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let token = token_param();
    let lookup = token.clone();
    let owner = wire::blocking_resource(move || lookup.clone(), |t| reset_get(SecretInput::new(t)));
    view! {
        <Card>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {
                    let token = token.clone();
                    move || {
                        let token = token.clone();
                        Suspend::new(async move {
                            match owner.await {
                                Ok(o) => view! { <ResetForm owner=o token /> }.into_any(),
                                Err(e) => unusable(e),
                            }
                        })
                    }
                }
            </Suspense>
        </Card>
    }
}

/// The reset form. The page is sent without the browser bundle, so saving is a plain post
/// that leads on to sign-in with a notice (`/login?reset=done`).
#[component]
fn ResetForm(owner: LinkOwner, token: String) -> impl IntoView {
    let action = FormAction::<ResetAccept>::new();
    let errors = action_error(action);
    let email = owner.email;
    view! {
        <Title text="Choose a new password" />
        <h1>"Choose a new password"</h1>
        <p class="lead">"For " <strong>{email.clone()}</strong> ". Every session of this account is signed out when you save."</p>
        <PostForm action attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="token" value=token />
            <input type="hidden" value=email autocomplete="username" />
            <Field label="New password" name="password" kind="password" errors autocomplete="new-password" maxlength=PASSWORD_MAX hint="At least 12 characters." autofocus=true />
            <Field label="Repeat new password" name="password_confirm" kind="password" errors autocomplete="new-password" maxlength=PASSWORD_MAX />
            <button class="button primary" type="submit" data-busy="Saving…" disabled=move || action.pending().get()>
                "Save new password"
            </button>
        </PostForm>
    }
}
