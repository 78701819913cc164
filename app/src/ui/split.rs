//! Pages the browser loads on demand: the bundle a first visit downloads holds the frame
//! (router, layout, reactive runtime, shared components) and the part of the one area the
//! page belongs to, not every page of the app.
//!
//! Each area is one `#[lazy]` function, which the build (`scripts/build.sh`, wasm-split)
//! cuts into its own WASM file; code two areas share lands in a file of its own, loaded with
//! either, and each area's files travel as one pack (`scripts/name-parts.mjs`). A page is
//! named by a number rather than a function so that nothing outside its area refers to its
//! code (a function pointer would pull the page into the frame). Every page must stay within
//! the first-visit budget (`make bench`; figures in `docs/decisions.md`). On the server the
//! areas are plain async functions, and the page's HTML names the area's pack so the browser
//! fetches it with the bundle.

use super::pages::logs::LogsPage;
use super::pages::project::{ProjectPage, ProjectTab, ProjectTabBody};
use super::pages::vault::{self, VaultPage};
use super::pages::{
    backups, certificate, home, invite, key, login, logs, notifications, profile, projects, secret, settings, setup,
    support, users,
};
use crate::domain::logs::LogKind;
use leptos::lazy;
use leptos::prelude::*;
use std::future::Future;

/// The pages, numbered by area: the tens digit is the area that holds the page (see
/// [`Area::holding`]). The vault page's frame is held by every area with a vault tab.
pub mod page {
    pub const SETUP: u8 = 0;
    pub const LOGIN: u8 = 1;
    pub const INVITE: u8 = 2;
    pub const RESET: u8 = 3;
    pub const HOME: u8 = 10;
    pub const PROJECTS: u8 = 11;
    pub const PROFILE: u8 = 12;
    pub const NOTIFICATIONS: u8 = 13;
    pub const PROJECT: u8 = 20;
    pub const PROJECT_VAULTS: u8 = 21;
    pub const PROJECT_MEMBERS: u8 = 22;
    pub const PROJECT_SETTINGS: u8 = 23;
    pub const VAULT: u8 = 30;
    pub const VAULT_SECRETS: u8 = 31;
    pub const VAULT_KEYS: u8 = 40;
    pub const VAULT_CERTIFICATES: u8 = 110;
    pub const KEY: u8 = 120;
    pub const CERTIFICATE: u8 = 130;
    pub const SECRET: u8 = 50;
    pub const VAULT_ACCESS_KEYS: u8 = 60;
    pub const VAULT_SETTINGS: u8 = 61;
    pub const USERS: u8 = 70;
    pub const BACKUPS: u8 = 80;
    pub const SETTINGS: u8 = 81;
    pub const SUPPORT: u8 = 90;
    pub const TICKET: u8 = 91;
    pub const LOGS: u8 = 100;
    pub const LOGS_AUDIT: u8 = 101;
    pub const LOGS_REQUESTS: u8 = 102;
    pub const LOGS_USERS: u8 = 103;
    pub const LOGS_MCP: u8 = 104;
}

/// The route view of page `P` (a [`page`] number).
pub fn lazy<const P: u8>() -> fn() -> AnyView {
    page_view::<P>
}

/// Page `P`, built at once when its area is in place: always on the server (the areas are
/// plain functions there) and in the browser on the first page, whose area the frontend loads
/// before it hydrates, so the page renders and hydrates as it would without the split. Opening
/// a page of another area in the browser first fetches that area, and the page appears when
/// it is in.
///
/// Leptos's lazy routes were measured instead and not taken: hydrating through them left the
/// content of some pages out (a full load of a project page as a Project Manager showed the
/// frame only) and panicked on others, about one run in five.
fn page_view<const P: u8>() -> AnyView {
    let path = leptos_router::hooks::use_location().pathname.get_untracked();
    let mut load = Box::pin(load_page(Area::holding(P, &path), P));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match load.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(view) => view,
        std::task::Poll::Pending => Suspend::new(load).into_any(),
    }
}

/// Page `p` from `area`.
async fn load_page(area: Option<Area>, p: u8) -> AnyView {
    match area {
        None => signed_out_area(p).await,
        Some(Area::Start) => start_area(p).await,
        Some(Area::Project) => project_area(p).await,
        Some(Area::Vault) => vault_area(p).await,
        Some(Area::Keys) => keys_area(p).await,
        Some(Area::Certificates) => certificates_area(p).await,
        Some(Area::Key) => key_area(p).await,
        Some(Area::Certificate) => certificate_area(p).await,
        Some(Area::Secret) => secret_area(p).await,
        Some(Area::VaultAdmin) => vault_admin_area(p).await,
        Some(Area::Users) => users_area(p).await,
        Some(Area::Admin) => admin_area(p).await,
        Some(Area::Support) => support_area(p).await,
        Some(Area::Logs) => logs_area(p).await,
    }
}

/// Sign-in, setup and the pages invitation and reset links open. They ship no bundle when
/// opened directly; a signed-in page can still navigate to them.
#[lazy]
fn signed_out_area(p: u8) -> AnyView {
    match p {
        page::SETUP => view! { <setup::SetupPage /> }.into_any(),
        page::LOGIN => view! { <login::LoginPage /> }.into_any(),
        page::INVITE => view! { <invite::InvitePage /> }.into_any(),
        _ => view! { <invite::ResetPage /> }.into_any(),
    }
}

/// Home, the projects list and the signed-in person's own pages.
#[lazy]
fn start_area(p: u8) -> AnyView {
    match p {
        page::HOME => view! { <home::HomePage /> }.into_any(),
        page::PROJECTS => view! { <projects::ProjectsPage /> }.into_any(),
        page::PROFILE => view! { <profile::ProfilePage /> }.into_any(),
        _ => view! { <notifications::NotificationsPage /> }.into_any(),
    }
}

/// A project and its tabs.
#[lazy]
fn project_area(p: u8) -> AnyView {
    match p {
        page::PROJECT => view! { <ProjectPage /> }.into_any(),
        page::PROJECT_VAULTS => view! { <ProjectTabBody tab=ProjectTab::Vaults /> }.into_any(),
        page::PROJECT_MEMBERS => view! { <ProjectTabBody tab=ProjectTab::Members /> }.into_any(),
        _ => view! { <ProjectTabBody tab=ProjectTab::Settings /> }.into_any(),
    }
}

/// A vault with its secrets: the page people come to most, so it carries no other tab.
#[lazy]
fn vault_area(p: u8) -> AnyView {
    match p {
        page::VAULT => view! { <VaultPage /> }.into_any(),
        _ => vault::secrets_tab(),
    }
}

/// A vault with its Keys tab.
#[lazy]
fn keys_area(p: u8) -> AnyView {
    match p {
        page::VAULT => view! { <VaultPage /> }.into_any(),
        _ => vault::keys_tab(),
    }
}

/// A vault with its Certificates tab.
#[lazy]
fn certificates_area(p: u8) -> AnyView {
    match p {
        page::VAULT => view! { <VaultPage /> }.into_any(),
        _ => vault::certificates_tab(),
    }
}

/// One key.
#[lazy]
fn key_area(_: u8) -> AnyView {
    view! { <key::KeyPageView /> }.into_any()
}

/// One certificate.
#[lazy]
fn certificate_area(_: u8) -> AnyView {
    view! { <certificate::CertificatePageView /> }.into_any()
}

/// One secret.
#[lazy]
fn secret_area(_: u8) -> AnyView {
    view! { <secret::SecretPageView /> }.into_any()
}

/// A vault with the tabs of those who manage it: access keys and settings.
#[lazy]
fn vault_admin_area(p: u8) -> AnyView {
    match p {
        page::VAULT => view! { <VaultPage /> }.into_any(),
        page::VAULT_ACCESS_KEYS => vault::access_keys_tab(),
        _ => vault::settings_tab(),
    }
}

/// Admin → Users.
#[lazy]
fn users_area(_: u8) -> AnyView {
    view! { <users::UsersPage /> }.into_any()
}

/// The other Admin pages: backups and instance settings.
#[lazy]
fn admin_area(p: u8) -> AnyView {
    match p {
        page::BACKUPS => view! { <backups::BackupsPage /> }.into_any(),
        _ => view! { <settings::SettingsPage /> }.into_any(),
    }
}

/// Support tickets.
#[lazy]
fn support_area(p: u8) -> AnyView {
    match p {
        page::SUPPORT => view! { <support::SupportPage /> }.into_any(),
        _ => view! { <support::TicketPage /> }.into_any(),
    }
}

/// The logs.
#[lazy]
fn logs_area(p: u8) -> AnyView {
    match p {
        page::LOGS => view! { <logs::LogsHome /> }.into_any(),
        page::LOGS_AUDIT => view! { <LogsPage kind=LogKind::Audit /> }.into_any(),
        page::LOGS_REQUESTS => view! { <LogsPage kind=LogKind::Requests /> }.into_any(),
        page::LOGS_USERS => view! { <LogsPage kind=LogKind::Users /> }.into_any(),
        _ => view! { <LogsPage kind=LogKind::Mcp /> }.into_any(),
    }
}

/// An area of the app: one `#[lazy]` function above and the WASM parts it is cut into. The
/// signed-out pages' area has no variant: those pages are sent without the bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    Start,
    Project,
    Vault,
    Keys,
    Certificates,
    Key,
    Certificate,
    Secret,
    VaultAdmin,
    Users,
    Admin,
    Support,
    Logs,
}

impl Area {
    /// The area of the page at `path`; `None` for the pages of the frame (not found) and
    /// those sent without the bundle. Mirrors the routes in [`super::App`] (the browser tests
    /// check that a page fetches no part its HTML did not name).
    pub fn of(path: &str) -> Option<Area> {
        let mut segments = path.trim_start_matches('/').split('/').map(|s| (!s.is_empty()).then_some(s));
        let first = segments.next().flatten().unwrap_or_default();
        let second = segments.next().flatten();
        let third = segments.next().flatten();
        Some(match (first, second) {
            ("" | "profile" | "notifications", _) | ("projects", None) => Area::Start,
            ("projects", Some(_)) => Area::Project,
            ("vaults", _) => match third {
                None => Area::Vault,
                Some("keys") => Area::Keys,
                Some("certificates") => Area::Certificates,
                Some(_) => Area::VaultAdmin,
            },
            ("secrets", _) => Area::Secret,
            ("keys", _) => Area::Key,
            ("certificates", _) => Area::Certificate,
            ("support", _) => Area::Support,
            ("admin", Some("logs")) => Area::Logs,
            ("admin", Some("users")) => Area::Users,
            ("admin", _) => Area::Admin,
            _ => return None,
        })
    }

    /// The area that holds page `p` when the browser is at `path`: the page's own, or for
    /// the vault page's frame, which every area with a vault tab holds, the one of the open
    /// tab (the area the browser loaded with the page).
    fn holding(p: u8, path: &str) -> Option<Area> {
        Some(match p / 10 {
            0 => return None,
            1 => Area::Start,
            2 => Area::Project,
            3 if p == page::VAULT => {
                let tab_area =
                    Area::of(path).filter(|a| matches!(a, Area::Keys | Area::Certificates | Area::VaultAdmin));
                tab_area.unwrap_or(Area::Vault)
            }
            3 => Area::Vault,
            4 => Area::Keys,
            5 => Area::Secret,
            6 => Area::VaultAdmin,
            7 => Area::Users,
            8 => Area::Admin,
            9 => Area::Support,
            10 => Area::Logs,
            11 => Area::Certificates,
            12 => Area::Key,
            _ => Area::Certificate,
        })
    }

    /// The name of the area's `#[lazy]` function, which starts its key in the build's manifest.
    pub fn name(self) -> &'static str {
        match self {
            Area::Start => "start_area",
            Area::Project => "project_area",
            Area::Vault => "vault_area",
            Area::Keys => "keys_area",
            Area::Certificates => "certificates_area",
            Area::Key => "key_area",
            Area::Certificate => "certificate_area",
            Area::Secret => "secret_area",
            Area::VaultAdmin => "vault_admin_area",
            Area::Users => "users_area",
            Area::Admin => "admin_area",
            Area::Support => "support_area",
            Area::Logs => "logs_area",
        }
    }

    /// Loads the area's parts (the browser starts fetching them with the page, from its
    /// preload links). Called before hydration, so that the router finds the page's code in
    /// place and takes the page over in document order, as it does without the split.
    #[cfg(feature = "hydrate")]
    pub async fn load(self) {
        match self {
            Area::Start => __preload_start_area().await,
            Area::Project => __preload_project_area().await,
            Area::Vault => __preload_vault_area().await,
            Area::Keys => __preload_keys_area().await,
            Area::Certificates => __preload_certificates_area().await,
            Area::Key => __preload_key_area().await,
            Area::Certificate => __preload_certificate_area().await,
            Area::Secret => __preload_secret_area().await,
            Area::VaultAdmin => __preload_vault_admin_area().await,
            Area::Users => __preload_users_area().await,
            Area::Admin => __preload_admin_area().await,
            Area::Support => __preload_support_area().await,
            Area::Logs => __preload_logs_area().await,
        }
    }
}

/// The `<link>`s that let the browser fetch the area of the page at `path` alongside the
/// frame, instead of after the frame has started and asked for it: the parts' loader and the
/// area's pack (all its parts in one file, which compresses a third better than the parts
/// one by one; scripts/name-parts.mjs). They come from the build's manifest, read once from
/// the site folder the server serves; without one (a build without the split) there is
/// nothing to preload.
#[cfg(feature = "ssr")]
pub fn preload_links(options: &leptos::config::LeptosOptions, path: &str) -> impl IntoView + use<> {
    let manifest = manifest(options);
    let pack = Area::of(path).and_then(|area| manifest.pack(area.name()));
    let loader = pack.is_some().then(|| manifest.loader.clone()).flatten();
    view! {
        {loader.map(|href| view! { <link rel="modulepreload" href=href crossorigin="anonymous" /> })}
        {pack.map(|href| view! { <link rel="preload" href=href r#as="fetch" crossorigin="anonymous" /> })}
    }
}

/// What the build wrote about its split bundle: the parts loader's URL and, per area, the
/// URL of its pack.
#[cfg(feature = "ssr")]
#[derive(Default)]
struct Manifest {
    loader: Option<String>,
    packs: std::collections::HashMap<String, String>,
}

#[cfg(feature = "ssr")]
impl Manifest {
    /// The pack of `area` (a manifest key is the area's name and a number wasm-split adds).
    fn pack(&self, area: &str) -> Option<String> {
        self.packs
            .iter()
            .find(|(key, _)| key.strip_prefix(area).and_then(|rest| rest.strip_prefix('_')).is_some_and(is_number))
            .map(|(_, url)| url.clone())
    }
}

#[cfg(feature = "ssr")]
fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads the manifest the first time a page asks (one site per server run).
#[cfg(feature = "ssr")]
fn manifest(options: &leptos::config::LeptosOptions) -> &'static Manifest {
    static MANIFEST: std::sync::OnceLock<Manifest> = std::sync::OnceLock::new();
    MANIFEST.get_or_init(|| read_manifest(options).unwrap_or_default())
}

#[cfg(feature = "ssr")]
fn read_manifest(options: &leptos::config::LeptosOptions) -> Option<Manifest> {
    let hashes = std::fs::read_to_string(&*options.hash_file).ok()?;
    let id = hash_of(&hashes, "split")?;
    let pkg = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let text = std::fs::read_to_string(pkg.join(format!("__wasm_split_manifest.{id}.json"))).ok()?;
    let packs: std::collections::HashMap<String, String> = serde_json::from_str(&text).ok()?;
    let url = |file: &str| format!("/{}/{file}", options.site_pkg_dir);
    Some(Manifest {
        loader: Some(url(&format!("__wasm_split.{id}.js"))),
        packs: packs.into_iter().map(|(area, pack)| (area, url(&pack))).collect(),
    })
}

/// The hash or build id of one kind of bundle file (`wasm`, `js`, `css`, `split`) in the
/// build's hash file (`css: 0123abcd…` lines).
#[cfg(feature = "ssr")]
pub fn hash_of<'a>(hashes: &'a str, kind: &str) -> Option<&'a str> {
    hashes.lines().filter_map(|l| l.split_once(':')).find(|(k, _)| k.trim() == kind).map(|(_, h)| h.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_page_path_names_the_area_that_holds_its_page() {
        let cases = [
            ("/", Some(Area::Start)),
            ("/projects", Some(Area::Start)),
            ("/profile", Some(Area::Start)),
            ("/notifications", Some(Area::Start)),
            ("/projects/01a2", Some(Area::Project)),
            ("/projects/01a2/members", Some(Area::Project)),
            ("/vaults/01a2", Some(Area::Vault)),
            ("/vaults/01a2/", Some(Area::Vault)),
            ("/vaults/01a2/access-keys", Some(Area::VaultAdmin)),
            ("/vaults/01a2/settings", Some(Area::VaultAdmin)),
            ("/vaults/01a2/keys", Some(Area::Keys)),
            ("/vaults/01a2/certificates", Some(Area::Certificates)),
            ("/secrets/01a2", Some(Area::Secret)),
            ("/keys/01a2", Some(Area::Key)),
            ("/certificates/01a2", Some(Area::Certificate)),
            ("/admin/users", Some(Area::Users)),
            ("/admin/backups", Some(Area::Admin)),
            ("/admin/settings", Some(Area::Admin)),
            ("/support", Some(Area::Support)),
            ("/support/01a2", Some(Area::Support)),
            ("/admin/logs", Some(Area::Logs)),
            ("/admin/logs/mcp", Some(Area::Logs)),
            ("/projects/", Some(Area::Start)),
            ("/login", None),
            ("/nowhere", None),
        ];
        for (path, area) in cases {
            assert_eq!(Area::of(path), area, "{path}");
        }
    }

    /// The browser loads the area of the page's path before it hydrates; every route view
    /// on that path (the vault frame and its tab included) must find its page in that area.
    #[test]
    fn every_view_of_a_path_is_held_by_the_area_the_browser_loads() {
        let cases: [(&str, &[u8]); 15] = [
            ("/", &[page::HOME]),
            ("/projects/01a2", &[page::PROJECT, page::PROJECT_VAULTS]),
            ("/projects/01a2/settings", &[page::PROJECT, page::PROJECT_SETTINGS]),
            ("/vaults/01a2", &[page::VAULT, page::VAULT_SECRETS]),
            ("/vaults/01a2/keys", &[page::VAULT, page::VAULT_KEYS]),
            ("/vaults/01a2/certificates", &[page::VAULT, page::VAULT_CERTIFICATES]),
            ("/vaults/01a2/access-keys", &[page::VAULT, page::VAULT_ACCESS_KEYS]),
            ("/vaults/01a2/settings", &[page::VAULT, page::VAULT_SETTINGS]),
            ("/secrets/01a2", &[page::SECRET]),
            ("/keys/01a2", &[page::KEY]),
            ("/certificates/01a2", &[page::CERTIFICATE]),
            ("/admin/users", &[page::USERS]),
            ("/admin/settings", &[page::SETTINGS]),
            ("/support/01a2", &[page::TICKET]),
            ("/admin/logs/audit", &[page::LOGS_AUDIT]),
        ];
        for (path, pages) in cases {
            for &p in pages {
                assert_eq!(Area::holding(p, path), Area::of(path), "page {p} at {path}");
            }
        }
        assert_eq!(Area::holding(page::LOGIN, "/login"), None);
    }
}
