//! Public visibility, as the key and certificate pages show it: whether the resource is public,
//! and — for those who may — making it public, a new token, or making it private. Making it
//! public hands its token over once, in a sheet, with the link that fetches what it shares and a
//! curl command, and forgets it when the sheet closes; a new token, or making it private, asks
//! first, since either stops the old token at once.
//!
//! What differs between the pages is one [`PublicKind`]: the words for the resource, the
//! address its token fetches, and the server function that makes it public or private.

use crate::domain::AppError;
use crate::domain::key::IssuedToken;
use crate::ui::components::action::FormAction;
use crate::ui::components::clipboard::CopyBlock;
use crate::ui::components::dialog::{ConfirmDialog, Sheet};
use crate::ui::components::form::{FormError, action_error};
use crate::ui::components::toast::use_toasts;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// A server function that makes one resource public (answering with its new token, shown
/// once) or private (answering with none).
pub trait SetPublic:
    ServerFn<Output = Option<IssuedToken>, Error = AppError> + serde::Serialize + Clone + Send + Sync + 'static
{
}

impl<S> SetPublic for S where
    S: ServerFn<Output = Option<IssuedToken>, Error = AppError> + serde::Serialize + Clone + Send + Sync + 'static
{
}

/// One kind of resource that can be made public.
pub struct PublicKind<S> {
    /// The resource as sentences name it: "key", "certificate".
    pub noun: &'static str,
    /// What its token fetches, as in "this key's public half": "public half", "chain".
    pub shares: &'static str,
    /// The REST collection its token fetches from: `/api/v1/{collection}/{id}`.
    pub collection: &'static str,
    /// The caption of the link in the token's hand-off.
    pub link_caption: &'static str,
    /// The server function's call for `(id, public)`.
    pub call: fn(String, bool) -> S,
}

impl<S> Clone for PublicKind<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for PublicKind<S> {}

/// The public-token sheet: whether it is open, and whether it replaces a live token. The page
/// makes it and puts [`PublicTokenSheet`] beside its content rather than in it: the content is
/// rendered again when the resource is read again after the token is issued, and the sheet
/// showing the token must stay open through that.
#[derive(Clone, Copy, Default)]
pub struct PublicSheet {
    open: RwSignal<bool>,
    reissue: RwSignal<bool>,
}

/// The sheet that makes the resource `id` public or issues it a new token.
#[component]
pub fn PublicTokenSheet<S: SetPublic>(
    kind: PublicKind<S>,
    sheet: PublicSheet,
    #[prop(into)] id: Signal<String>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let noun = kind.noun;
    let title = Signal::derive(move || {
        if sheet.reissue.get() { "New public token".to_owned() } else { format!("Make this {noun} public") }
    });
    view! {
        <Sheet open=sheet.open title id="public-token">
            <PublicTask kind id=id.get() reissue=sheet.reissue.get_untracked() open=sheet.open reload />
        </Sheet>
    }
}

/// Whether the resource is public, and — for those who may — making it public (the sheet), a
/// new token (the sheet, which says the old one stops) or making it private (a confirmation).
#[component]
pub fn PublicVisibility<S: SetPublic>(
    kind: PublicKind<S>,
    id: String,
    is_public: bool,
    may_manage: bool,
    reload: RwSignal<u32>,
    sheet: PublicSheet,
) -> impl IntoView {
    let PublicKind { noun, shares, collection, .. } = kind;
    let toasts = use_toasts();
    let private = FormAction::<S>::new();
    let errors = action_error(private);
    Effect::new(move |_| {
        if let Some(Ok(None)) = private.value().get() {
            toasts.show(format!("The {noun} is private: its public token no longer works."));
            reload.update(|n| *n += 1);
        }
    });
    let confirm_open = RwSignal::new(false);
    let open_sheet = move |reissue: bool| {
        sheet.reissue.set(reissue);
        sheet.open.set(true);
    };
    let explain = if is_public {
        view! {
            <p>
                {format!("Public: anyone holding its token can fetch this {noun}'s {shares} (never the private key) at ")}
                <code>{format!("/api/v1/{collection}/{id}")}</code>
                " without an access key. The token was shown once, when it was issued; each fetch is logged."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p>
                {format!(
                    "Private: only people who see this vault, and machines with one of its access keys, can read this {noun}. \
                     Making it public issues a token with which anyone can fetch its {shares} — never the private key."
                )}
            </p>
        }
        .into_any()
    };
    let id = StoredValue::new(id);
    let controls = may_manage.then(|| {
        if is_public {
            view! {
                <div class="button-row">
                    <button class="button" type="button" on:click=move |_| open_sheet(true)>"Issue a new token…"</button>
                    <button class="button danger-text" type="button" on:click=move |_| confirm_open.set(true)>"Make private…"</button>
                </div>
                <ConfirmDialog
                    id="make-private"
                    open=confirm_open
                    title=format!("Make this {noun} private?")
                    message=format!("Its public token is revoked at once: the link stops working from the very next request. Making the {noun} public again issues a new token.")
                    confirm_label="Make private".to_owned()
                    danger=true
                    on_confirm=move |_| { private.call((kind.call)(id.get_value(), false)); }
                />
            }
            .into_any()
        } else {
            view! {
                <div class="button-row">
                    <button class="button" type="button" on:click=move |_| open_sheet(false)>"Make public…"</button>
                </div>
            }
            .into_any()
        }
    });
    view! {
        <section class="panel" aria-labelledby="visibility-title">
            <h2 id="visibility-title">"Public visibility"</h2>
            {explain}
            <FormError errors />
            {controls}
        </section>
    }
}

/// The sheet's content: what happens, and the button that does it; then the token's one
/// showing. The action lives in this component, which exists only while the sheet is open,
/// so closing the sheet forgets the token.
#[component]
fn PublicTask<S: SetPublic>(
    kind: PublicKind<S>,
    id: String,
    reissue: bool,
    open: RwSignal<bool>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let PublicKind { noun, shares, link_caption, .. } = kind;
    let publish = FormAction::<S>::new();
    let errors = action_error(publish);
    let issued = Memo::new(move |_| publish.value().with(|v| matches!(v, Some(Ok(Some(_))))));
    Effect::new(move |_| {
        if issued.get() {
            reload.update(|n| *n += 1);
        }
    });
    let id = StoredValue::new(id);
    let (what, button) = if reissue {
        (
            "A new token replaces the current one: the old token stops working at once, so every machine using it needs the new one."
                .to_owned(),
            "Issue a new token",
        )
    } else {
        (
            format!(
                "Anyone holding the token can then fetch this {noun}'s {shares} — never its private key — without an access key. \
                 Each fetch is logged, and making the {noun} private again revokes the token at once."
            ),
            "Make public",
        )
    };
    let ask = move || {
        view! {
            <div class="stack">
                <p>{what.clone()}</p>
                <FormError errors />
                <div class="dialog-actions">
                    <button class="button" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button class="button primary" type="button" disabled=move || publish.pending().get()
                        on:click=move |_| { publish.call((kind.call)(id.get_value(), true)); }>
                        {button}
                    </button>
                </div>
            </div>
        }
    };
    view! {
        <Show when=move || issued.get() fallback=ask>
            {move || publish.value().with_untracked(|v| match v {
                Some(Ok(Some(t))) => Some(view! { <TokenHandOff token=t.clone() link_caption open /> }),
                _ => None,
            })}
        </Show>
    }
}

/// The instance's address as this browser reached it (empty while rendering on the server,
/// where the sheet never shows).
fn page_origin() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return origin;
    }
    String::new()
}

/// The token's one showing: the token, the link that fetches what the resource shares with
/// it, and the same fetch with the token in a header (what scripts should prefer: a header
/// stays out of shell history and proxy logs more easily than a query string).
#[component]
fn TokenHandOff(token: IssuedToken, link_caption: &'static str, open: RwSignal<bool>) -> impl IntoView {
    let url = format!("{}{}", page_origin(), token.path);
    let secret = token.token.expose().to_owned();
    let link = format!("{url}?code={secret}");
    let curl = format!("curl -H \"Authorization: Bearer {secret}\" {url}");
    let first = NodeRef::<leptos::html::Button>::new();
    // The button that was clicked is gone: focus the next thing to do.
    Effect::new(move |_| {
        if let Some(b) = first.get() {
            let _ = b.focus();
        }
    });
    view! {
        <div class="handoff stack">
            <p class="notice warn" role="note">
                <strong>"Copy the token now. "</strong>
                "This is the only time it is shown: Secryn keeps only a hash of it."
            </p>
            <CopyBlock caption="Public token" id="public-token-text" text=secret button="Copy token"
                copied="Token copied." node_ref=first />
            <CopyBlock caption=link_caption id="public-link" text=link button="Copy link"
                copied="Link copied." />
            <CopyBlock caption="The same with curl, the token in a header" id="public-curl" text=curl
                button="Copy command" copied="Command copied." />
            <div class="dialog-actions">
                <button class="button" type="button" on:click=move |_| open.set(false)>"Done"</button>
            </div>
        </div>
    }
}
