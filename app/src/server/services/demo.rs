//! Demo and benchmark data: a project, a vault with secrets, keys, certificates and an access key, made
//! through the same services (and audit entries) as the UI, by a system account that no
//! person signs in to. Refused on an instance with real users unless forced.

use crate::domain::AppError;
use crate::domain::ids::{CertificateId, KeyId, ProjectId, VaultId};
use crate::server::repo::users::{self, NewUser, UserState};
use crate::server::services::{access_keys, certificates, keys, projects, secrets, vaults};
use crate::server::{AppState, Caller, RequestMeta, SessionCtx, clock};
use serde::Serialize;

/// The account demo data is created by.
const AUTHOR_EMAIL: &str = "demo-data@secryn.invalid";

/// What was created, for scripts (printed as one JSON object).
#[derive(Serialize)]
pub struct DemoData {
    pub project_id: ProjectId,
    pub vault_id: VaultId,
    pub access_key: String,
    pub secret_names: Vec<String>,
    /// The demo keys (Ed25519, offered as PEM and OpenSSH), by name order.
    pub key_ids: Vec<KeyId>,
    /// The demo certificates (self-signed, P-256, a year), by name order.
    pub certificate_ids: Vec<CertificateId>,
}

/// How much demo data to make.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub secrets: usize,
    pub keys: usize,
    pub certificates: usize,
}

impl std::fmt::Debug for DemoData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoData").field("vault_id", &self.vault_id).field("access_key", &"[redacted]").finish()
    }
}

async fn author(state: &AppState) -> Result<SessionCtx, AppError> {
    if let Some(user) = users::find_by_email(state.db.reader(), AUTHOR_EMAIL).await? {
        return Ok(SessionCtx { user, token_hash: String::new() });
    }
    let mut tx = state.db.begin().await?;
    let new = NewUser {
        email: AUTHOR_EMAIL,
        name: "Secryn demo data",
        password_hash: None,
        is_admin: true,
        state: UserState::Active,
    };
    let id = users::insert(&mut tx, new).await?;
    users::mark_system(&mut tx, id).await?;
    tx.commit().await?;
    let user = users::find(state.db.reader(), id).await?.ok_or_else(AppError::internal)?;
    Ok(SessionCtx { user, token_hash: String::new() })
}

/// Creates a project, a vault of `counts.secrets` secrets (imported in chunks),
/// `counts.keys` keys and `counts.certificates` certificates, and an access key for it.
pub async fn create(state: &AppState, counts: Counts, force: bool) -> Result<DemoData, AppError> {
    if !force && users::count(state.db.reader()).await? > 0 {
        return Err(AppError::validation(
            "force",
            "This instance has real users; pass --force to add demo data to it anyway.",
        ));
    }
    let meta = RequestMeta { ip: None, user_agent: Some("secryn demo-data".into()) };
    let caller = Caller::new(state.clone(), author(state).await?, meta);
    let stamp = clock::now();
    let project = projects::create(&caller, &format!("Demo {stamp}"), "Created by secryn demo-data.").await?;
    let vault = vaults::create(&caller, project, "demo", "Created by secryn demo-data.").await?;
    let names: Vec<String> = (1..=counts.secrets).map(|i| format!("DEMO_SECRET_{i:05}")).collect();
    // One import per chunk: an import reads at most `ENTRIES_MAX` lines.
    for chunk in names.chunks(crate::domain::dotenv::ENTRIES_MAX) {
        let text: String = chunk.iter().map(|n| format!("{n}=value of {n} at {stamp}\n")).collect();
        let report = secrets::import(&caller, vault, &text, false, true).await?;
        if report.writes() != chunk.len() {
            return Err(AppError::internal());
        }
    }
    let mut key_ids = Vec::with_capacity(counts.keys);
    for i in 1..=counts.keys {
        let input = keys::NewKeyInput {
            name: format!("demo-key-{i:05}"),
            algorithm: "ed25519".into(),
            output_format: "both".into(),
            tags: "demo".into(),
            activation_at: None,
            expiration_at: None,
        };
        key_ids.push(keys::generate(&caller, vault, input).await?);
    }
    let mut certificate_ids = Vec::with_capacity(counts.certificates);
    for i in 1..=counts.certificates {
        let input = certificates::NewCertInput {
            name: format!("demo-cert-{i:05}"),
            tags: "demo".into(),
            common_name: format!("demo-{i}.example.com"),
            organization: "Secryn demo".into(),
            algorithm: "ec_p256".into(),
            validity_days: "365".into(),
            alt_names: format!("demo-{i}.example.com"),
            ..Default::default()
        };
        certificate_ids.push(certificates::generate(&caller, vault, input).await?);
    }
    let key = access_keys::create(&caller, vault, "demo-data", None).await?;
    let access_key = key.key.expose().to_owned();
    Ok(DemoData { project_id: project, vault_id: vault, access_key, secret_names: names, key_ids, certificate_ids })
}
