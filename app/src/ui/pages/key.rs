//! One key, as a page: its details; its public half (PEM, and the OpenSSH line when offered)
//! with Copy; downloads of the private half for those who may; enable and disable (disabling
//! asks first); "Edit details" (tags and dates); and public visibility. Making a key public
//! hands its token over once — with the link that fetches the public half and a curl command
//! — and forgets it when the sheet closes; a new token, or making the key private, asks first,
//! since either stops the old token at once.

use crate::api::keys::{KeyPage, SetKeyEnabled, SetKeyPublic, UpdateKeyMeta, get_key_page};
use crate::domain::key::{IssuedToken, KeyMeta, KeyView};
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::domain::secret::SecretStatus;
use crate::domain::time::short;
use crate::ui::components::clipboard::CopyBlock;
use crate::ui::components::dialog::{ConfirmDialog, Sheet};
use crate::ui::components::form::{FormError, action_error, input_time};
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::Breadcrumbs;
use crate::ui::pages::keys::{DetailFields, origin_label};
use crate::ui::pages::project::load_error;
use crate::ui::pages::secrets::status_class;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The public-token sheet: whether it is open, and whether it replaces a live token.
#[derive(Clone, Copy)]
struct PublicSheet {
    open: RwSignal<bool>,
    reissue: RwSignal<bool>,
}

/// The key page. The page's resource is made here, outside every `Suspense`, and reads the
/// key and its vault in one call (see [`get_key_page`]). The public-token
/// sheet lives here too, beside the page's content rather than in it: the content is rendered
/// again when the key is read again after the token is issued, and the sheet showing the token
/// must stay open through that.
#[component]
pub fn KeyPageView() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let page = Resource::new_blocking(move || (id(), reload.get()), |(id, _)| get_key_page(id));
    let public = PublicSheet { open: RwSignal::new(false), reissue: RwSignal::new(false) };
    let title = Signal::derive(move || {
        if public.reissue.get() { "New public token" } else { "Make this key public" }.to_owned()
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <KeyFrame page=p reload public /> }.into_any(),
                    Err(e) => load_error(e),
                }
            })}
        </Transition>
        <Sheet open=public.open title id="public-token">
            <PublicTask id=id() reissue=public.reissue.get_untracked() open=public.open reload />
        </Sheet>
    }
}

#[component]
fn KeyFrame(page: KeyPage, reload: RwSignal<u32>, public: PublicSheet) -> impl IntoView {
    let KeyPage { key, vault } = page;
    let target = Target::Vault(vault.project, vault.vault);
    let may_manage = can(vault.viewer, Action::ManageKeysAndCertificates, target) == Decision::Allow;
    let may_download = can(vault.viewer, Action::DownloadKeysAndCertificates, target) == Decision::Allow;
    let trail = vec![
        ("Projects".to_owned(), "/projects".to_owned()),
        (vault.project_name.clone(), format!("/projects/{}", vault.project_id)),
        (vault.name.clone(), format!("/vaults/{}/keys", vault.id)),
    ];
    let meta = key.meta.clone();
    let name = meta.name.clone();
    view! {
        <Title text=name.clone() />
        <div class="page">
            <Breadcrumbs trail current=name.clone() />
            <div class="page-head">
                <h1>
                    {name} " " <span class=status_class(key.status)>{key.status.label()}</span>
                    {meta.public.then(|| view! { " " <span class="badge accent">"Public"</span> })}
                </h1>
            </div>
            <KeyFacts meta=meta.clone() status=key.status />
            {may_manage.then(|| view! { <KeyActions meta=meta.clone() reload /> })}
            <PublicHalf key=key.clone() />
            <PrivateHalf meta=meta.clone() may_download />
            <Visibility meta may_manage reload public />
        </div>
    }
}

#[component]
fn KeyFacts(meta: KeyMeta, status: SecretStatus) -> impl IntoView {
    let when = |t: Option<i64>| t.map(short).unwrap_or_else(|| "—".to_owned());
    let tags = if meta.tags.is_empty() { "—".to_owned() } else { meta.tags.join(", ") };
    let public = if meta.public { "Yes: its public half can be fetched with its public token" } else { "No" };
    view! {
        <dl class="facts">
            <dt>"Type"</dt><dd>{meta.algorithm.label()}</dd>
            <dt>"Formats"</dt><dd>{meta.output_format.label()}</dd>
            <dt>"Origin"</dt><dd>{origin_label(meta.origin)}</dd>
            <dt>"Status"</dt><dd>{status.label()}</dd>
            <dt>"Tags"</dt><dd>{tags}</dd>
            <dt>"Activation"</dt><dd>{when(meta.activation_at)}</dd>
            <dt>"Expiration"</dt><dd>{when(meta.expiration_at)}</dd>
            <dt>"Created"</dt><dd>{format!("{} by {}", short(meta.created_at), meta.created_by)}</dd>
            <dt>"Public"</dt><dd>{public}</dd>
        </dl>
    }
}

/// Edit details and enable/disable, for those who may manage keys. Disabling asks first:
/// machines are refused the key at once; enabling does not.
#[component]
fn KeyActions(meta: KeyMeta, reload: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let enabled = ServerAction::<SetKeyEnabled>::new();
    let errors = action_error(enabled);
    let is_enabled = meta.enabled;
    Effect::new(move |_| {
        if let Some(Ok(())) = enabled.value().get() {
            toasts.show(if is_enabled { "Key disabled." } else { "Key enabled." });
            reload.update(|n| *n += 1);
        }
    });
    let (details_open, confirm_open) = (RwSignal::new(false), RwSignal::new(false));
    let id = StoredValue::new(meta.id.to_string());
    let set = move |on: bool| {
        enabled.dispatch(SetKeyEnabled { id: id.get_value(), enabled: on });
    };
    let meta = StoredValue::new(meta);
    view! {
        <div class="button-row page-actions">
            <button class="button" type="button" on:click=move |_| details_open.set(true)>"Edit details"</button>
            <button class="button quiet" class:danger-text=is_enabled type="button"
                on:click=move |_| if is_enabled { confirm_open.set(true) } else { set(true) }>
                {if is_enabled { "Disable…" } else { "Enable" }}
            </button>
        </div>
        <FormError errors />
        <Sheet open=details_open title="Edit details".to_owned() id="edit-details">
            <EditDetails meta=meta.get_value() open=details_open reload />
        </Sheet>
        <ConfirmDialog
            id="disable-key"
            open=confirm_open
            title="Disable this key?".to_owned()
            message="Machines are refused it from their next request, through access keys and the public link alike. You can enable it again.".to_owned()
            confirm_label="Disable".to_owned()
            danger=true
            on_confirm=move |_| set(false)
        />
    }
}

/// The "Edit details" form: tags and dates, refused if the key changed since the page was read.
#[component]
fn EditDetails(meta: KeyMeta, open: RwSignal<bool>, reload: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let details = ServerAction::<UpdateKeyMeta>::new();
    let errors = action_error(details);
    Effect::new(move |_| {
        if let Some(Ok(())) = details.value().get() {
            toasts.show("Details saved.");
            open.set(false);
            reload.update(|n| *n += 1);
        }
    });
    view! {
        <p class="muted small">"A key's material never changes; its tags and dates may. The change is recorded in the audit log."</p>
        <ActionForm action=details attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="id" value=meta.id.to_string() />
            <input type="hidden" name="seen_updated_at" value=meta.updated_at.to_string() />
            <DetailFields errors tags=meta.tags.join(", ") activation=input_time(meta.activation_at)
                expiration=input_time(meta.expiration_at) />
            <button class="button primary" type="submit" disabled=move || details.pending().get()>"Save details"</button>
        </ActionForm>
    }
}

/// The public half, in every form the key is offered in.
#[component]
fn PublicHalf(key: KeyView) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="public-half-title">
            <h2 id="public-half-title">"Public key"</h2>
            <div class="stack">
                <CopyBlock caption="PEM" id="public-pem" text=key.public_pem button="Copy public key"
                    copied="Public key copied." />
                {key.public_openssh.map(|line| view! {
                    <CopyBlock caption="OpenSSH (an authorized_keys line)" id="public-openssh" text=line
                        button="Copy OpenSSH line" copied="OpenSSH line copied." />
                })}
            </div>
        </section>
    }
}

/// Downloads of the private half: plain links, so the browser saves the file itself (the
/// server checks the role and records each download).
#[component]
fn PrivateHalf(meta: KeyMeta, may_download: bool) -> impl IntoView {
    let base = format!("/keys/{}/download", meta.id);
    let body = if may_download {
        view! {
            <p class="muted">"Each download saves the private key as a file and is recorded in the audit log."</p>
            <div class="button-row">
                <a class="button" href=format!("{base}?format=pem") download>"Download PEM"</a>
                {meta.output_format.offers_openssh().then(|| view! {
                    <a class="button" href=format!("{base}?format=openssh") download>"Download OpenSSH"</a>
                })}
            </div>
        }
        .into_any()
    } else {
        view! { <p class="muted">"Your role shows this key's public half, not its private key."</p> }.into_any()
    };
    view! {
        <section class="panel" aria-labelledby="private-half-title">
            <h2 id="private-half-title">"Private key"</h2>
            {body}
        </section>
    }
}

/// Whether the key is public, and — for those who may — making it public (the sheet), a new
/// token (the sheet, which says the old one stops) or making it private (a confirmation).
#[component]
fn Visibility(meta: KeyMeta, may_manage: bool, reload: RwSignal<u32>, public: PublicSheet) -> impl IntoView {
    let toasts = use_toasts();
    let private = ServerAction::<SetKeyPublic>::new();
    let errors = action_error(private);
    Effect::new(move |_| {
        if let Some(Ok(None)) = private.value().get() {
            toasts.show("The key is private: its public token no longer works.");
            reload.update(|n| *n += 1);
        }
    });
    let confirm_open = RwSignal::new(false);
    let is_public = meta.public;
    let id = StoredValue::new(meta.id.to_string());
    let open_sheet = move |reissue: bool| {
        public.reissue.set(reissue);
        public.open.set(true);
    };
    let explain = if is_public {
        view! {
            <p>
                "Public: anyone holding its token can fetch this key's public half (never the private key) at "
                <code>{format!("/api/v1/keys/{}", meta.id)}</code>
                " without an access key. The token was shown once, when it was issued; each fetch is logged."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p>
                "Private: only people who see this vault, and machines with one of its access keys, can read this key. "
                "Making it public issues a token with which anyone can fetch its public half — never the private key."
            </p>
        }
        .into_any()
    };
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
                    title="Make this key private?".to_owned()
                    message="Its public token is revoked at once: the link stops working from the very next request. Making the key public again issues a new token.".to_owned()
                    confirm_label="Make private".to_owned()
                    danger=true
                    on_confirm=move |_| { private.dispatch(SetKeyPublic { id: id.get_value(), public: false }); }
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
fn PublicTask(id: String, reissue: bool, open: RwSignal<bool>, reload: RwSignal<u32>) -> impl IntoView {
    let publish = ServerAction::<SetKeyPublic>::new();
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
            "A new token replaces the current one: the old token stops working at once, so every machine using it needs the new one.",
            "Issue a new token",
        )
    } else {
        (
            "Anyone holding the token can then fetch this key's public half — never its private key — without an access key. Each fetch is logged, and making the key private again revokes the token at once.",
            "Make public",
        )
    };
    let ask = move || {
        view! {
            <div class="stack">
                <p>{what}</p>
                <FormError errors />
                <div class="dialog-actions">
                    <button class="button" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button class="button primary" type="button" disabled=move || publish.pending().get()
                        on:click=move |_| { publish.dispatch(SetKeyPublic { id: id.get_value(), public: true }); }>
                        {button}
                    </button>
                </div>
            </div>
        }
    };
    view! {
        <Show when=move || issued.get() fallback=ask>
            {move || publish.value().with_untracked(|v| match v {
                Some(Ok(Some(t))) => Some(view! { <TokenHandOff token=t.clone() open /> }),
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

/// The token's one showing: the token, the link that fetches the public half with it, and
/// the same fetch with the token in a header (what scripts should prefer: a header stays out
/// of shell history and proxy logs more easily than a query string).
#[component]
fn TokenHandOff(token: IssuedToken, open: RwSignal<bool>) -> impl IntoView {
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
            <CopyBlock caption="Link that fetches the public key" id="public-link" text=link button="Copy link"
                copied="Link copied." />
            <CopyBlock caption="The same with curl, the token in a header" id="public-curl" text=curl
                button="Copy command" copied="Command copied." />
            <div class="dialog-actions">
                <button class="button" type="button" on:click=move |_| open.set(false)>"Done"</button>
            </div>
        </div>
    }
}
