//! Actions and forms that call server functions with the form's own fields.
//!
//! Why not Leptos's `ServerAction` and `ActionForm`: for every server function they compile a
//! reader that turns the submitted form back into the typed input (serde_qs), a writer that
//! turns that input into the same form again, and a whole call path. Over Secryn's forms that
//! was about 140 KB of the browser bundle ("Assets" in `docs/decisions.md`). Here a form's
//! fields go to the server as the browser wrote them, through one call path
//! ([`wire::post_form`]); only the answer's reader is per type. The server reads the form
//! exactly as before, and a browser without JavaScript posts the same form to the same URL.

use crate::domain::AppError;
use crate::wire;
use leptos::html::Form;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::ops::Deref;

/// A server function's action whose input travels as form fields (`a=1&b=2`). Its value,
/// pending state and version are those of the Leptos [`Action`] it derefs to.
pub struct FormAction<S: ServerFn> {
    action: Action<String, Result<S::Output, AppError>>,
    server_fn: PhantomData<fn() -> S>,
}

impl<S: ServerFn> Clone for FormAction<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: ServerFn> Copy for FormAction<S> {}

impl<S: ServerFn> Deref for FormAction<S> {
    type Target = Action<String, Result<S::Output, AppError>>;

    fn deref(&self) -> &Self::Target {
        &self.action
    }
}

impl<S> FormAction<S>
where
    S: ServerFn<Error = AppError>,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    /// A new action. A plain form post (no JavaScript) that failed comes back to its page with
    /// the error in the address, which the server's render shows as this action's answer.
    #[track_caller]
    pub fn new() -> Self {
        let action = Action::new(|fields: &String| wire::post_form::<S::Output>(S::PATH, fields.clone()));
        if let Some(err) = use_context::<ServerActionError>().filter(|e| e.path() == S::PATH) {
            let err = leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(err.err());
            action.value().set(Some(Err(err)));
        }
        Self { action, server_fn: PhantomData }
    }

    /// Calls the server function from code rather than a form, with its typed input.
    pub fn call(&self, input: S)
    where
        S: Serialize,
    {
        match wire::form_fields(&input) {
            Ok(fields) => {
                self.action.dispatch(fields);
            }
            Err(err) => {
                self.action.value().set(Some(Err(err)));
                self.action.version().update(|n| *n += 1);
            }
        }
    }
}

impl<S: ServerFn<Error = AppError>> Default for FormAction<S>
where
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

/// Where a [`PostForm`] sends its fields: the server function's URL (for a browser without
/// JavaScript) and the action that sends them (for everyone else).
pub struct FormTarget {
    url: &'static str,
    send: Callback<String>,
}

impl<S> From<FormAction<S>> for FormTarget
where
    S: ServerFn<Error = AppError>,
    S::Output: Send + Sync + 'static,
{
    fn from(action: FormAction<S>) -> Self {
        Self {
            url: S::PATH,
            send: Callback::new(move |fields| {
                action.action.dispatch(fields);
            }),
        }
    }
}

/// A form that posts its fields to a [`FormAction`]: through the action when the page is
/// hydrated, as a plain form post otherwise. The button that submitted it is sent along, as a
/// browser would.
#[component]
pub fn PostForm(
    /// The action the form's fields go to.
    #[prop(into)]
    action: FormTarget,
    /// Holds the `<form>` element, for pages that reset it.
    #[prop(optional)]
    node_ref: Option<NodeRef<Form>>,
    children: Children,
) -> impl IntoView {
    let FormTarget { url, send } = action;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        if let Some(fields) = submitted_fields(&ev) {
            send.run(fields);
        }
    };
    let node_ref = node_ref.unwrap_or_default();
    view! {
        <form action=url method="post" on:submit=on_submit node_ref=node_ref>
            {children()}
        </form>
    }
}

/// The submitted form's fields, URL-encoded as a browser posts them.
#[cfg(feature = "hydrate")]
fn submitted_fields(ev: &leptos::ev::SubmitEvent) -> Option<String> {
    let data = leptos::form::form_data_from_event(ev).ok()?;
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    params.to_string().as_string()
}

/// The server renders forms but never submits them.
#[cfg(not(feature = "hydrate"))]
fn submitted_fields(_: &leptos::ev::SubmitEvent) -> Option<String> {
    None
}
