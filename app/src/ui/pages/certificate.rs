//! One certificate, as a page: what was read from it (subject, issuer, serial, fingerprint,
//! validity, key type), its chain as PEM with Copy, the download of its PEM bundle (chain,
//! then the private key when one is kept) for those who may, enable and disable (disabling
//! asks first), "Edit tags", and public visibility. Making a certificate public hands its
//! token over once — with the link that fetches the chain and a curl command — and forgets it
//! when the sheet closes; a new token, or making the certificate private, asks first, since
//! either stops the old token at once.

use crate::api::certificates::{
    CertificatePage, SetCertificateEnabled, SetCertificatePublic, UpdateCertificateTags, get_certificate_page,
};
use crate::domain::certificate::{CertMeta, CertView};
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::domain::secret::SecretStatus;
use crate::domain::time::short;
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::clipboard::CopyBlock;
use crate::ui::components::dialog::{ConfirmDialog, Sheet};
use crate::ui::components::form::{Field, FormError, action_error};
use crate::ui::components::public_visibility::{PublicKind, PublicSheet, PublicTokenSheet, PublicVisibility};
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::Breadcrumbs;
use crate::ui::pages::certificates::key_type_label;
use crate::ui::pages::keys::origin_label;
use crate::ui::pages::project::load_error;
use crate::ui::pages::secrets::status_class;
use crate::wire;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// A certificate made public shares its chain.
const PUBLIC: PublicKind<SetCertificatePublic> = PublicKind {
    noun: "certificate",
    shares: "chain",
    collection: "certificates",
    link_caption: "Link that fetches the certificate chain",
    call: |id, public| SetCertificatePublic { id, public },
};

/// The certificate page. The page's resource is made here, outside every `Suspense`, and
/// reads the certificate and its vault in one call (see [`get_certificate_page`]). The
/// public-token sheet lives here too, beside the page's content rather than in it: the content
/// is rendered again when the certificate is read again after the token is issued, and the
/// sheet showing the token must stay open through that.
#[component]
pub fn CertificatePageView() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let page = wire::blocking_resource(move || (id(), reload.get()), |(id, _)| get_certificate_page(id));
    let public = PublicSheet::default();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <CertificateFrame page=p reload public /> }.into_any(),
                    Err(e) => load_error(e),
                }
            })}
        </Transition>
        <PublicTokenSheet kind=PUBLIC sheet=public id=Signal::derive(id) reload />
    }
}

#[component]
fn CertificateFrame(page: CertificatePage, reload: RwSignal<u32>, public: PublicSheet) -> impl IntoView {
    let CertificatePage { certificate, vault } = page;
    let target = Target::Vault(vault.project, vault.vault);
    let may_manage = can(vault.viewer, Action::ManageKeysAndCertificates, target) == Decision::Allow;
    let may_download = can(vault.viewer, Action::DownloadKeysAndCertificates, target) == Decision::Allow;
    let trail = vec![
        ("Projects".to_owned(), "/projects".to_owned()),
        (vault.project_name.clone(), format!("/projects/{}", vault.project_id)),
        (vault.name.clone(), format!("/vaults/{}/certificates", vault.id)),
    ];
    let meta = certificate.meta.clone();
    let name = meta.name.clone();
    view! {
        <Title text=name.clone() />
        <div class="page">
            <Breadcrumbs trail current=name.clone() />
            <div class="page-head">
                <h1>
                    {name} " " <span class=status_class(certificate.status)>{certificate.status.label()}</span>
                    {meta.public.then(|| view! { " " <span class="badge accent">"Public"</span> })}
                </h1>
            </div>
            <CertificateFacts meta=meta.clone() status=certificate.status />
            {may_manage.then(|| view! { <CertificateActions meta=meta.clone() reload /> })}
            <Chain certificate=certificate.clone() />
            <Download meta=meta.clone() may_download />
            <PublicVisibility kind=PUBLIC id=meta.id.to_string() is_public=meta.public may_manage reload sheet=public />
        </div>
    }
}

#[component]
fn CertificateFacts(meta: CertMeta, status: SecretStatus) -> impl IntoView {
    let tags = if meta.tags.is_empty() { "—".to_owned() } else { meta.tags.join(", ") };
    let public = if meta.public { "Yes: its chain can be fetched with its public token" } else { "No" };
    let private_key = if meta.has_private_key { "Stored (sealed)" } else { "None" };
    let chain = match meta.chain_length {
        1 => "1 certificate".to_owned(),
        n => format!("{n} certificates (leaf first)"),
    };
    view! {
        <dl class="facts">
            <dt>"Subject"</dt><dd>{meta.subject.clone()}</dd>
            <dt>"Issuer"</dt><dd>{meta.issuer.clone()}</dd>
            <dt>"Serial"</dt><dd class="mono">{meta.serial.clone()}</dd>
            <dt>"SHA-256 fingerprint"</dt><dd class="mono">{meta.fingerprint_sha256.clone()}</dd>
            <dt>"Not before"</dt><dd>{short(meta.not_before)}</dd>
            <dt>"Not after"</dt><dd>{short(meta.not_after)}</dd>
            <dt>"Key type"</dt><dd>{key_type_label(meta.key_algorithm)}</dd>
            <dt>"Private key"</dt><dd>{private_key}</dd>
            <dt>"Chain"</dt><dd>{chain}</dd>
            <dt>"Origin"</dt><dd>{origin_label(meta.origin)}</dd>
            <dt>"Status"</dt><dd>{status.label()}</dd>
            <dt>"Tags"</dt><dd>{tags}</dd>
            <dt>"Created"</dt><dd>{format!("{} by {}", short(meta.created_at), meta.created_by)}</dd>
            <dt>"Public"</dt><dd>{public}</dd>
        </dl>
    }
}

/// Edit tags and enable/disable, for those who may manage certificates. Disabling asks first:
/// machines are refused the certificate at once; enabling does not.
#[component]
fn CertificateActions(meta: CertMeta, reload: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let enabled = FormAction::<SetCertificateEnabled>::new();
    let errors = action_error(enabled);
    let is_enabled = meta.enabled;
    Effect::new(move |_| {
        if let Some(Ok(())) = enabled.value().get() {
            toasts.show(if is_enabled { "Certificate disabled." } else { "Certificate enabled." });
            reload.update(|n| *n += 1);
        }
    });
    let (tags_open, confirm_open) = (RwSignal::new(false), RwSignal::new(false));
    let id = StoredValue::new(meta.id.to_string());
    let set = move |on: bool| {
        enabled.call(SetCertificateEnabled { id: id.get_value(), enabled: on });
    };
    let meta = StoredValue::new(meta);
    view! {
        <div class="button-row page-actions">
            <button class="button" type="button" on:click=move |_| tags_open.set(true)>"Edit tags"</button>
            <button class="button quiet" class:danger-text=is_enabled type="button"
                on:click=move |_| if is_enabled { confirm_open.set(true) } else { set(true) }>
                {if is_enabled { "Disable…" } else { "Enable" }}
            </button>
        </div>
        <FormError errors />
        <Sheet open=tags_open title="Edit tags".to_owned() id="edit-tags">
            <EditTags meta=meta.get_value() open=tags_open reload />
        </Sheet>
        <ConfirmDialog
            id="disable-certificate"
            open=confirm_open
            title="Disable this certificate?".to_owned()
            message="Machines are refused it from their next request, through access keys and the public link alike. You can enable it again.".to_owned()
            confirm_label="Disable".to_owned()
            danger=true
            on_confirm=move |_| set(false)
        />
    }
}

/// The "Edit tags" form, refused if the certificate changed since the page was read.
#[component]
fn EditTags(meta: CertMeta, open: RwSignal<bool>, reload: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let save = FormAction::<UpdateCertificateTags>::new();
    let errors = action_error(save);
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            toasts.show("Tags saved.");
            open.set(false);
            reload.update(|n| *n += 1);
        }
    });
    view! {
        <p class="muted small">"A certificate never changes; its tags may. The change is recorded in the audit log."</p>
        <PostForm action=save attr:class="stack" attr:novalidate=true>
            <FormError errors />
            <input type="hidden" name="id" value=meta.id.to_string() />
            <input type="hidden" name="seen_updated_at" value=meta.updated_at.to_string() />
            <Field label="Tags" name="tags" errors maxlength=600 value=meta.tags.join(", ")
                hint="Comma-separated, for example prod, tls." />
            <button class="button primary" type="submit" disabled=move || save.pending().get()>"Save tags"</button>
        </PostForm>
    }
}

/// The chain (public): leaf first, then the certificates that issued it.
#[component]
fn Chain(certificate: CertView) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="chain-title">
            <h2 id="chain-title">"Certificate chain"</h2>
            <CopyBlock caption="PEM, leaf first" id="chain-pem" text=certificate.chain_pem button="Copy chain"
                copied="Chain copied." />
        </section>
    }
}

/// The download of the PEM bundle: a plain link, so the browser saves the file itself (the
/// server checks the role and records each download). The endpoint offers one format, the
/// bundle; it carries the private key when one is kept.
#[component]
fn Download(meta: CertMeta, may_download: bool) -> impl IntoView {
    let body = if may_download {
        let what = if meta.has_private_key {
            "The PEM file holds the chain, then the private key (PKCS#8). Each download is recorded in the audit log."
        } else {
            "The PEM file holds the chain; no private key is stored with this certificate. Each download is recorded in the audit log."
        };
        view! {
            <p class="muted">{what}</p>
            <div class="button-row">
                <a class="button" href=format!("/certificates/{}/download", meta.id) download>"Download PEM"</a>
            </div>
        }
        .into_any()
    } else {
        view! { <p class="muted">"Your role shows this certificate's chain, not its download."</p> }.into_any()
    };
    view! {
        <section class="panel" aria-labelledby="download-title">
            <h2 id="download-title">"Download"</h2>
            {body}
        </section>
    }
}
