//! One vault: "Who has access" above its tabs for everyone who sees it, tabs for secrets,
//! keys, certificates and access keys, and settings — rename,
//! restriction, the restricted vault's member list and whether Contributors may create keys
//! and certificates.

use crate::api::access_keys::list_access_keys;
use crate::api::certificates::list_certificates;
use crate::api::keys::list_keys;
use crate::api::projects::{
    SaveVaultSettings, SetVaultMember, UpdateVault, get_vault, get_vault_access, vault_who_has_access,
};
use crate::domain::AppError;
use crate::domain::org::{AccessHolder, UserOption, VaultAccessList, VaultDetail};
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{ErrorSignal, Field, FormError, action_error};
use crate::ui::components::reload::Reloading;
use crate::ui::components::tabs::TabBar;
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::Breadcrumbs;
use crate::ui::pages::access_keys::AccessKeysTab;
use crate::ui::pages::certificates::CertificatesTab;
use crate::ui::pages::keys::KeysTab;
use crate::ui::pages::not_found::NotFound;
use crate::ui::pages::project::{PersonPicker, access_badges, load_error};
use crate::ui::pages::secrets::{SecretsQuery, SecretsTab};
use crate::wire::{self, Wire};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_params_map;

/// Which tab of the vault page is open. Only parts that exist have a tab, so navigation never
/// dead-ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultTab {
    Secrets,
    Keys,
    Certificates,
    AccessKeys,
    Settings,
}

impl VaultTab {
    const ALL: [VaultTab; 5] =
        [VaultTab::Secrets, VaultTab::Keys, VaultTab::Certificates, VaultTab::AccessKeys, VaultTab::Settings];

    fn label(self) -> &'static str {
        match self {
            VaultTab::Secrets => "Secrets",
            VaultTab::Keys => "Keys",
            VaultTab::Certificates => "Certificates",
            VaultTab::AccessKeys => "Access keys",
            VaultTab::Settings => "Settings",
        }
    }

    fn path(self) -> &'static str {
        match self {
            VaultTab::Secrets => "",
            VaultTab::Keys => "/keys",
            VaultTab::Certificates => "/certificates",
            VaultTab::AccessKeys => "/access-keys",
            VaultTab::Settings => "/settings",
        }
    }

    /// The action a tab needs beyond seeing the vault (access keys and settings are for
    /// those who manage the vault; secrets, keys and certificates are listed for everyone who
    /// sees it).
    fn needs(self) -> Action {
        match self {
            VaultTab::AccessKeys => Action::ManageAccessKeys,
            VaultTab::Settings => Action::ManageVaults,
            VaultTab::Secrets | VaultTab::Keys | VaultTab::Certificates => Action::ViewVault,
        }
    }
}

fn allowed(vault: &VaultDetail, action: Action) -> bool {
    can(vault.viewer, action, Target::Vault(vault.project, vault.vault)) == Decision::Allow
}

/// What the vault's tabs share: the vault's resource (the frame and every tab read the same
/// load) and the signals that make it (after a rename) or "Who has access" (after a list
/// change) read again.
#[derive(Clone, Copy)]
struct VaultState {
    vault: Resource<Result<VaultDetail, AppError>, Wire>,
    reload: RwSignal<u32>,
    access: RwSignal<u32>,
}

/// The vault page: its frame (title, notices, "Who has access", tabs) and the tab's child
/// route below it, so switching tabs keeps the frame and only the tab shows progress.
///
/// Every resource of the page and its tabs is created here or in [`vault_tab`], outside
/// any `Suspense`: server rendering may run a suspended view more than once, and a resource
/// created there would not line up with the browser's when the page hydrates.
#[component]
pub fn VaultPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let vault = wire::blocking_resource(move || (id(), reload.get()), |(id, _)| get_vault(id));
    // Bumped when the restricted list changes, so "Who has access" reads it again.
    let access = RwSignal::new(0u32);
    provide_context(VaultState { vault, reload, access });
    view! {
        <div class="page">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match vault.await {
                        Ok(v) => view! { <VaultFrame vault=v access /> }.into_any(),
                        Err(e) => load_error(e),
                    }
                })}
            </Transition>
            <Outlet />
        </div>
    }
}

#[component]
fn VaultFrame(vault: VaultDetail, access: RwSignal<u32>) -> impl IntoView {
    let tabs =
        VaultTab::ALL.into_iter().filter(|t| allowed(&vault, t.needs())).map(|t| (t.path(), t.label())).collect();
    view! {
        <Title text=vault.name.clone() />
        <Breadcrumbs
            trail=vec![("Projects".to_owned(), "/projects".to_owned()), (vault.project_name.clone(), format!("/projects/{}", vault.project_id))]
            current=vault.name.clone()
        />
        <div class="page-head">
            <h1>
                {vault.name.clone()}
                {vault.vault.restricted.then(|| view! { " " <span class="badge warn">"Restricted"</span> })}
            </h1>
        </div>
        <p class="muted">"In project " <a href=format!("/projects/{}", vault.project_id)>{vault.project_name.clone()}</a></p>
        {(!vault.description.is_empty()).then(|| view! { <p class="muted">{vault.description.clone()}</p> })}
        {vault.project.archived.then(|| view! {
            <p class="notice warn" role="note">"This vault's project is archived: everything here is read-only."</p>
        })}
        <WhoHasAccess vault=vault.clone() version=access />
        <TabBar label="Vault sections" base=format!("/vaults/{}", vault.id) tabs />
    }
}

/// One tab of the vault page (a child route). `load` starts its list beside the vault's, and
/// `show` draws the tab once both are in; a tab the viewer may not open is the 404 page, and a
/// vault that failed to load leaves the tab empty (the frame says why).
///
/// Generic rather than one component that matches on the tab, so that each tab's code is
/// named only by its own route and lands in its own part of the browser bundle
/// (app/src/ui/split.rs).
fn vault_tab<D, V>(tab: VaultTab, load: impl FnOnce(VaultId) -> D, show: fn(VaultDetail, VaultState, D) -> V) -> AnyView
where
    D: Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    untrack(move || {
        let Some(state) = use_context::<VaultState>() else {
            return view! { <NotFound /> }.into_any();
        };
        let params = use_params_map();
        let data = load(VaultId(params));
        view! {
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match state.vault.await {
                        Err(_) => ().into_any(),
                        Ok(v) if !allowed(&v, tab.needs()) => view! { <NotFound /> }.into_any(),
                        Ok(vault) => show(vault, state, data).into_any(),
                    }
                })}
            </Transition>
        }
        .into_any()
    })
}

/// The vault's id in the page's address, for a tab's list to load.
#[derive(Clone, Copy)]
struct VaultId(Memo<leptos_router::params::ParamsMap>);

impl VaultId {
    fn reader(self) -> impl Fn() -> String + Copy + Send + Sync + 'static {
        move || self.0.with(|p| p.get("id").unwrap_or_default())
    }
}

/// The Secrets tab, the vault page's first.
pub fn secrets_tab() -> AnyView {
    vault_tab(
        VaultTab::Secrets,
        |id| SecretsQuery::new(id.reader()),
        |vault, _, query| view! { <SecretsTab vault query /> },
    )
}

/// The Keys tab.
pub fn keys_tab() -> AnyView {
    vault_tab(
        VaultTab::Keys,
        |id| Reloading::new(id.reader(), list_keys),
        |vault, _, keys| view! { <KeysTab vault keys /> },
    )
}

/// The Certificates tab.
pub fn certificates_tab() -> AnyView {
    vault_tab(
        VaultTab::Certificates,
        |id| Reloading::new(id.reader(), list_certificates),
        |vault, _, certificates| view! { <CertificatesTab vault certificates /> },
    )
}

/// The Access keys tab.
pub fn access_keys_tab() -> AnyView {
    vault_tab(
        VaultTab::AccessKeys,
        |id| Reloading::new(id.reader(), list_access_keys),
        |vault, _, keys| view! { <AccessKeysTab vault keys /> },
    )
}

/// The Settings tab.
pub fn settings_tab() -> AnyView {
    vault_tab(
        VaultTab::Settings,
        |id| Reloading::new(id.reader(), get_vault_access),
        |vault, VaultState { reload, access, .. }, list| view! { <SettingsTab vault reload access list /> },
    )
}

/// Who can see this vault, on every tab of the vault page, for everyone who can see the
/// vault — Read-only members included. Decision: the same people the project's "Who has
/// access" is shown to (anyone who can see the project) may know who reads its vaults, and a
/// Contributor on a restricted vault's list should know who else is on it; so it is not kept
/// in Settings, which only those who manage the vault open. It is a closed disclosure under
/// the title (its summary already says the rule) and loads when opened; the list itself is
/// still edited in Settings.
#[component]
fn WhoHasAccess(vault: VaultDetail, version: RwSignal<u32>) -> impl IntoView {
    let rule = if vault.vault.restricted {
        "Restricted: Admins, the project's Project Managers and the people on the vault's list"
    } else {
        "Admins and every member of the project"
    };
    let opened = RwSignal::new(false);
    let id = vault.id.to_string();
    let restricted = vault.vault.restricted;
    view! {
        <details class="access-panel" on:toggle=move |_| opened.set(true)>
            <summary><strong>"Who has access"</strong>" " <span class="muted">{rule}</span></summary>
            <Show when=move || opened.get()>
                <AccessList id=id.clone() version restricted />
            </Show>
        </details>
    }
}

#[component]
fn AccessList(id: String, version: RwSignal<u32>, restricted: bool) -> impl IntoView {
    let people = wire::resource(move || (id.clone(), version.get()), |(id, _)| vault_who_has_access(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match people.await {
                    Err(e) => load_error(e),
                    Ok(list) => access_list(list, restricted),
                }
            })}
        </Transition>
    }
}

fn access_list(people: Vec<AccessHolder>, restricted: bool) -> AnyView {
    let items = people
        .iter()
        .map(|p| {
            view! {
                <li>
                    <span>{format!("{} <{}>", p.name, p.email)}</span>
                    <span class="access-badges">{access_badges(p, true, restricted)}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="plain-list access-list" aria-label="People who can see this vault">{items}</ul> }.into_any()
}

#[component]
fn SettingsTab(
    vault: VaultDetail,
    reload: RwSignal<u32>,
    access: RwSignal<u32>,
    list: Reloading<VaultAccessList>,
) -> impl IntoView {
    let toasts = use_toasts();
    let update = FormAction::<UpdateVault>::new();
    let settings = FormAction::<SaveVaultSettings>::new();
    let member = FormAction::<SetVaultMember>::new();
    let errors = action_error(update);
    let settings_errors = action_error(settings);
    let member_errors = action_error(member);
    for (value, text) in [(update.value(), "Vault saved."), (settings.value(), "Access settings saved.")] {
        Effect::new(move |_| {
            if let Some(Ok(())) = value.get() {
                toasts.show(text);
                reload.update(|n| *n += 1);
            }
        });
    }
    Effect::new(move |_| {
        if let Some(Ok(())) = member.value().get() {
            toasts.show("Member list updated.");
            access.update(|n| *n += 1);
            list.again();
        }
    });
    let id = vault.id.to_string();
    let list = list.list;
    let read_only = vault.project.archived;
    let vid = id.clone();
    let (update_id, settings_id) = (id.clone(), id.clone());
    view! {
        <section class="panel">
            <h2>"Name and description"</h2>
            <PostForm action=update attr:class="stack" attr:novalidate=true>
                <FormError errors />
                <input type="hidden" name="id" value=update_id />
                <fieldset disabled=read_only>
                    <Field label="Name" name="name" errors maxlength=64 value=vault.name.clone() />
                    <Field label="Description" name="description" errors maxlength=500 value=vault.description.clone() />
                    <button class="button primary" type="submit">"Save"</button>
                </fieldset>
            </PostForm>
        </section>
        <section class="panel">
            <h2>"Access"</h2>
            <PostForm action=settings attr:class="stack">
                <FormError errors=settings_errors />
                <input type="hidden" name="id" value=settings_id />
                <fieldset disabled=read_only>
                    <label class="check">
                        <input type="checkbox" name="restricted" checked=vault.vault.restricted />
                        " Restricted: only Admins, the project's Project Managers and the people on the list below see this vault"
                    </label>
                    <label class="check">
                        <input type="checkbox" name="contributors_manage_keys" checked=vault.vault.contributors_manage_keys />
                        " Contributors may create keys and certificates"
                    </label>
                    <button class="button" type="submit">"Save access settings"</button>
                </fieldset>
            </PostForm>
        </section>
        <section class="panel">
            <h2>"Member list"</h2>
            <p class="muted">"Used while the vault is restricted. Project Managers and Admins always have access."</p>
            <FormError errors=member_errors />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let vid = vid.clone();
                    Suspend::new(async move {
                        match list.await {
                            Err(e) => load_error(e),
                            Ok(list) => view! {
                                {listed_people(&vid, list.members, member, read_only)}
                                {add_to_list_form(vid.clone(), list.candidates, member, member_errors, read_only)}
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// The people on the restricted vault's list, each with a button to take them off it.
fn listed_people(vid: &str, members: Vec<UserOption>, member: FormAction<SetVaultMember>, read_only: bool) -> AnyView {
    if members.is_empty() {
        return view! { <p class="muted">"Nobody is on the list yet."</p> }.into_any();
    }
    let items = members
        .into_iter()
        .map(|u| {
            let (vid, uid) = (vid.to_owned(), u.id.to_string());
            let label = format!("Remove from list: {}", u.name);
            view! {
                <li>
                    <span>{format!("{} <{}>", u.name, u.email)}</span>
                    <button class="button" type="button" disabled=read_only aria-label=label
                        on:click=move |_| { member.call(SetVaultMember { vault_id: vid.clone(), user_id: Some(uid.clone()), listed: false }); }>
                        "Remove from list"
                    </button>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="plain-list">{items}</ul> }.into_any()
}

/// Puts a project member on the list, picked by typing part of their name or e-mail.
fn add_to_list_form(
    vid: String,
    candidates: Vec<UserOption>,
    member: FormAction<SetVaultMember>,
    errors: ErrorSignal,
    read_only: bool,
) -> AnyView {
    if candidates.is_empty() {
        return view! { <p class="muted">"Every project member who is not a Project Manager is on the list already."</p> }
            .into_any();
    }
    view! {
        <PostForm action=member attr:class="toolbar picker-form">
            <input type="hidden" name="vault_id" value=vid />
            <input type="hidden" name="listed" value="true" />
            <PersonPicker id="vault-member" label="Add a project member" people=candidates errors disabled=read_only />
            <button class="button" type="submit" disabled=read_only>"Add to list"</button>
        </PostForm>
    }
    .into_any()
}
