//! Server functions for certificates. The private key never travels through here: downloads
//! are plain links (see the server's `downloads`). An uploaded file arrives base64-encoded
//! (a PFX is binary), its password as [`SecretInput`].

// A server function takes its form's fields as arguments; the self-signed form has twelve.
#![allow(clippy::too_many_arguments)]

use crate::domain::AppError;
use crate::domain::certificate::{CertRow, CertView};
use crate::domain::key::IssuedToken;
use crate::domain::org::VaultDetail;
use crate::domain::validate::SecretInput;
use crate::wire::WireProtocol;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::door::{self, ids},
    crate::server::services::certificates::{self as svc, NewCertInput},
};

#[cfg(feature = "ssr")]
fn cert_id(s: &str) -> Result<crate::domain::ids::CertificateId, AppError> {
    crate::domain::ids::CertificateId::parse(s).ok_or_else(|| AppError::not_found("No such certificate."))
}

/// The certificates of a vault with their status now.
#[server(prefix = "/rpc", endpoint = "certificates_list", protocol = WireProtocol)]
pub async fn list_certificates(vault_id: String) -> Result<Vec<CertRow>, AppError> {
    door::respond(async {
        let now = crate::server::clock::now();
        let certs = svc::list(&door::caller()?, ids::vault(&vault_id)?).await?;
        Ok(certs.into_iter().map(|meta| CertRow { status: meta.status(now), meta }).collect())
    })
    .await
}

/// Makes a key and a self-signed certificate; returns its id.
#[server(prefix = "/rpc", endpoint = "certificates_generate", protocol = WireProtocol)]
pub async fn generate_certificate(
    vault_id: String,
    name: String,
    tags: String,
    common_name: String,
    organization: String,
    unit: String,
    country: String,
    state: String,
    locality: String,
    email: String,
    algorithm: String,
    validity_days: String,
    alt_names: String,
) -> Result<String, AppError> {
    door::respond(async {
        let input = NewCertInput {
            name,
            tags,
            common_name,
            organization,
            unit,
            country,
            state,
            locality,
            email,
            algorithm,
            validity_days,
            alt_names,
        };
        Ok(svc::generate(&door::caller()?, ids::vault(&vault_id)?, input).await?.to_string())
    })
    .await
}

/// Stores an uploaded certificate file (`file_base64`: PEM/CRT bundle, DER or PFX, encoded
/// as base64); returns its id.
#[server(prefix = "/rpc", endpoint = "certificates_upload", protocol = WireProtocol)]
pub async fn upload_certificate(
    vault_id: String,
    name: String,
    tags: String,
    file_base64: SecretInput,
    password: SecretInput,
) -> Result<String, AppError> {
    use base64::Engine as _;
    door::respond(async {
        let encoded = zeroize::Zeroizing::new(file_base64.take());
        let limit = crate::domain::certificate::UPLOAD_MAX;
        if encoded.len() > limit / 3 * 4 + 4 {
            return Err(AppError::validation(
                "file",
                format!("This file is too large for a certificate bundle (at most {} KiB).", limit / 1024),
            ));
        }
        let file = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| AppError::validation("file", "The file could not be read; choose it again."))?;
        let password = crate::server::crypto::SecretText::new(password.take());
        let caller = door::caller()?;
        Ok(svc::upload(&caller, ids::vault(&vault_id)?, (&name, &tags), file, password).await?.to_string())
    })
    .await
}

/// One certificate: metadata and its chain.
#[server(prefix = "/rpc", endpoint = "certificates_get", protocol = WireProtocol)]
pub async fn get_certificate(id: String) -> Result<CertView, AppError> {
    door::respond(async { svc::get(&door::caller()?, cert_id(&id)?).await }).await
}

/// What the certificate page shows: the certificate, and its vault for the trail and for what
/// the viewer may do there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificatePage {
    pub certificate: CertView,
    pub vault: VaultDetail,
}

/// One certificate with its vault, in one call: the page's one resource reads both (as the
/// key page does, see [`super::keys::get_key_page`]: two calls in one loader broke hydration).
#[server(prefix = "/rpc", endpoint = "certificates_page", protocol = WireProtocol)]
pub async fn get_certificate_page(id: String) -> Result<CertificatePage, AppError> {
    door::respond(async {
        let caller = door::caller()?;
        let certificate = svc::get(&caller, cert_id(&id)?).await?;
        let vault = crate::server::services::vaults::get(&caller, certificate.meta.vault_id).await?;
        Ok(CertificatePage { certificate, vault })
    })
    .await
}

/// Enables or disables a certificate.
#[server(prefix = "/rpc", endpoint = "certificates_enabled", protocol = WireProtocol)]
pub async fn set_certificate_enabled(id: String, enabled: bool) -> Result<(), AppError> {
    door::respond(async { svc::set_enabled(&door::caller()?, cert_id(&id)?, enabled).await }).await
}

/// Changes a certificate's tags.
#[server(prefix = "/rpc", endpoint = "certificates_tags", protocol = WireProtocol)]
pub async fn update_certificate_tags(id: String, tags: String, seen_updated_at: i64) -> Result<(), AppError> {
    door::respond(async { svc::update_tags(&door::caller()?, cert_id(&id)?, &tags, seen_updated_at).await }).await
}

/// Turns public visibility on (the answer carries the new token, once) or off.
#[server(prefix = "/rpc", endpoint = "certificates_public", protocol = WireProtocol)]
pub async fn set_certificate_public(id: String, public: bool) -> Result<Option<IssuedToken>, AppError> {
    door::respond(async {
        let cert = cert_id(&id)?;
        let token = svc::set_public(&door::caller()?, cert, public).await?;
        super::keys::issued(token, format!("/api/v1/certificates/{cert}"))
    })
    .await
}
