//! One key, as a page: its details; its public half (PEM, and the OpenSSH line when offered)
//! with Copy; downloads of the private half for those who may; enable and disable (disabling
//! asks first); "Edit details" (tags and dates); and public visibility. Making a key public
//! hands its token over once — with the link that fetches the public half and a curl command
//! — and forgets it when the sheet closes; a new token, or making the key private, asks first,
//! since either stops the old token at once.

use crate::api::keys::{KeyPage, SetKeyEnabled, SetKeyPublic, UpdateKeyMeta, get_key_page};
use crate::domain::key::{KeyMeta, KeyView};
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::domain::secret::SecretStatus;
use crate::domain::time::short;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::clipboard::CopyBlock;
use crate::ui::components::dialog::{ConfirmDialog, Sheet};
use crate::ui::components::form::{FormError, action_error, input_time};
use crate::ui::components::public_visibility::{PublicKind, PublicSheet, PublicTokenSheet, PublicVisibility};
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::Breadcrumbs;
use crate::ui::pages::keys::{DetailFields, origin_label};
use crate::ui::pages::project::load_error;
use crate::ui::pages::secrets::status_class;
use crate::wire;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// A key made public shares its public half.
const PUBLIC: PublicKind<SetKeyPublic> = PublicKind {
    noun: "key",
    shares: "public half",
    collection: "keys",
    link_caption: "Link that fetches the public key",
    call: |id, public| SetKeyPublic { id, public },
};

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
    let page = wire::blocking_resource(move || (id(), reload.get()), |(id, _)| get_key_page(id));
    let public = PublicSheet::default();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <KeyFrame page=p reload public /> }.into_any(),
                    Err(e) => load_error(e),
                }
            })}
        </Transition>
        <PublicTokenSheet kind=PUBLIC sheet=public id=Signal::derive(id) reload />
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
            <PublicVisibility kind=PUBLIC id=meta.id.to_string() is_public=meta.public may_manage reload sheet=public />
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
    let enabled = FormAction::<SetKeyEnabled>::new();
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
        enabled.call(SetKeyEnabled { id: id.get_value(), enabled: on });
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
    let details = FormAction::<UpdateKeyMeta>::new();
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
        <PostForm action=details attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="id" value=meta.id.to_string() />
            <input type="hidden" name="seen_updated_at" value=meta.updated_at.to_string() />
            <DetailFields errors tags=meta.tags.join(", ") activation=input_time(meta.activation_at)
                expiration=input_time(meta.expiration_at) />
            <button class="button primary" type="submit" disabled=move || details.pending().get()>"Save details"</button>
        </PostForm>
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
