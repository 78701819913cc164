//! One project: its vaults, who has access (Admins and members) and, for Admins, its
//! settings, as tabs. Controls appear only where the permission function allows them; the
//! server checks again.

use crate::api::projects::{
    AddMember, ChangeMemberRole, CreateVault, RemoveMember, SetProjectArchived, UpdateProject, get_project,
    get_project_access, list_vaults,
};
use crate::domain::AppError;
use crate::domain::org::{AccessHolder, Member, ProjectAccess, ProjectDetail, UserOption, VaultSummary};
use crate::domain::permission::{Action, Decision, ProjectRole, Resource as Target, can};
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::dialog::ConfirmDialog;
use crate::ui::components::form::{ErrorSignal, Field, FormError, action_error};
use crate::ui::components::reload::Reloading;
use crate::ui::components::tabs::TabBar;
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::Breadcrumbs;
use crate::ui::pages::not_found::NotFound;
use crate::wire::{self, Wire};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_navigate, use_params_map};

/// Which tab of the project page is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectTab {
    Vaults,
    Members,
    Settings,
}

/// Whether the signed-in user may do `action` in this project.
fn allowed(project: &ProjectDetail, action: Action) -> bool {
    can(project.viewer, action, Target::Project(project.facts)) == Decision::Allow
}

/// The view for a failed load: the 404 page for "not found", the message otherwise.
pub fn load_error(e: AppError) -> AnyView {
    if e.code == crate::domain::ErrorCode::NotFound {
        view! { <NotFound /> }.into_any()
    } else {
        view! { <p class="form-error" role="alert">{e.message}</p> }.into_any()
    }
}

/// What the project's tabs share: the project's resource (the frame and every tab read the
/// same load) and the signal that makes it read again (after a rename or archiving).
#[derive(Clone, Copy)]
struct ProjectState {
    project: Resource<Result<ProjectDetail, AppError>, Wire>,
    reload: RwSignal<u32>,
}

/// The project page: its frame (title, notices, tabs) and the tab's child route below it, so
/// switching tabs keeps the frame and only the tab shows progress. Every resource is created
/// here or in [`ProjectTabBody`], outside any `Suspense` (see `VaultPage`).
#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let project = wire::blocking_resource(move || (id(), reload.get()), |(id, _)| get_project(id));
    provide_context(ProjectState { project, reload });
    view! {
        <div class="page">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match project.await {
                        Ok(p) => view! { <ProjectFrame project=p /> }.into_any(),
                        Err(e) => load_error(e),
                    }
                })}
            </Transition>
            <Outlet />
        </div>
    }
}

#[component]
fn ProjectFrame(project: ProjectDetail) -> impl IntoView {
    let mut tabs = vec![("", "Vaults"), ("/members", "Members")];
    if allowed(&project, Action::EditProject) {
        tabs.push(("/settings", "Settings"));
    }
    view! {
        <Title text=project.name.clone() />
        <Breadcrumbs trail=vec![("Projects".to_owned(), "/projects".to_owned())] current=project.name.clone() />
        <div class="page-head">
            <h1>
                {project.name.clone()}
                {project.facts.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}
            </h1>
        </div>
        {(!project.description.is_empty()).then(|| view! { <p class="muted">{project.description.clone()}</p> })}
        {project.facts.archived.then(|| view! {
            <p class="notice warn" role="note">"This project is archived: it is read-only for people until an Admin unarchives it. Machines keep reading its vaults with their access keys, which can still be revoked."</p>
        })}
        <TabBar label="Project sections" base=format!("/projects/{}", project.id) tabs />
    }
}

/// One tab of the project page (a child route). Its list is loaded here, beside the project;
/// a tab the viewer may not open is the 404 page, and a project that failed to load leaves
/// the tab empty (the frame says why).
#[component]
pub fn ProjectTabBody(tab: ProjectTab) -> impl IntoView {
    let Some(ProjectState { project, reload }) = use_context::<ProjectState>() else {
        return view! { <NotFound /> }.into_any();
    };
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let data = match tab {
        ProjectTab::Vaults => TabData::Vaults(wire::blocking_resource(id, list_vaults)),
        ProjectTab::Members => TabData::Members(Reloading::new(id, get_project_access)),
        ProjectTab::Settings => TabData::None,
    };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (project.await, data) {
                    (Err(_), _) => ().into_any(),
                    (Ok(p), _) if tab == ProjectTab::Settings && !allowed(&p, Action::EditProject) => {
                        view! { <NotFound /> }.into_any()
                    }
                    (Ok(project), TabData::Vaults(vaults)) => view! { <VaultsTab project vaults /> }.into_any(),
                    (Ok(project), TabData::Members(data)) => view! { <MembersTab project data /> }.into_any(),
                    (Ok(project), TabData::None) => view! { <SettingsTab project reload /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// The list a tab loads beside the project.
#[derive(Clone, Copy)]
enum TabData {
    Vaults(Resource<Result<Vec<VaultSummary>, AppError>, Wire>),
    Members(Reloading<ProjectAccess>),
    None,
}

#[component]
fn VaultsTab(project: ProjectDetail, vaults: Resource<Result<Vec<VaultSummary>, AppError>, Wire>) -> impl IntoView {
    let may_create = allowed(&project, Action::ManageVaults);
    let create = FormAction::<CreateVault>::new();
    let errors = action_error(create);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/vaults/{id}"), Default::default());
        }
    });
    let project_id = StoredValue::new(project.id.to_string());
    view! {
        <Show when=move || may_create>
            <details class="panel">
                <summary><strong>"New vault"</strong></summary>
                <PostForm action=create attr:class="stack" attr:novalidate=true>
                    <FormError errors />
                    <input type="hidden" name="project_id" value=project_id.get_value() />
                    <Field label="Name" name="name" errors maxlength=64 hint="Unique in this project, for example production or staging." />
                    <Field label="Description" name="description" errors maxlength=500 />
                    <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create vault"</button>
                </PostForm>
            </details>
        </Show>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match vaults.await {
                    Err(e) => load_error(e),
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state">
                            <p class="empty-title">"No vaults yet"</p>
                            <p class="muted">{if may_create { "Create a vault to hold secrets, keys and certificates." } else { "There is no vault here you can see." }}</p>
                        </div>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="data stack-on-mobile">
                                <thead><tr><th>"Vault"</th><th>"Description"</th><th>"Access"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|v| view! {
                                        <tr>
                                            <td data-label="Vault"><a href=format!("/vaults/{}", v.id)>{v.name}</a></td>
                                            <td data-label="Description" class="muted">{v.description}</td>
                                            <td data-label="Access">
                                                {if v.restricted { view! { <span class="badge warn">"Restricted"</span> }.into_any() } else { view! { <span class="badge">"Project members"</span> }.into_any() }}
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The project's "Who has access": the instance's Admins (who see every project, so they are
/// marked, not managed here) and its members with their roles, editable by those who may
/// manage members; then the members whose account is disabled (no access, membership kept).
#[component]
fn MembersTab(project: ProjectDetail, data: Reloading<ProjectAccess>) -> impl IntoView {
    let toasts = use_toasts();
    let add = FormAction::<AddMember>::new();
    let change = FormAction::<ChangeMemberRole>::new();
    let remove = FormAction::<RemoveMember>::new();
    let add_errors = action_error(add);
    let change_errors = action_error(change);
    let remove_errors = action_error(remove);
    for (action_value, text) in
        [(add.value(), "Member added."), (change.value(), "Role changed."), (remove.value(), "Member removed.")]
    {
        Effect::new(move |_| {
            if let Some(Ok(())) = action_value.get() {
                toasts.show(text);
                data.again();
            }
        });
    }
    let pid = project.id.to_string();
    let may_add = allowed(&project, Action::ManageMember(ProjectRole::ReadOnly));
    let data = data.list;
    let assignable: Vec<ProjectRole> =
        ProjectRole::ALL.into_iter().filter(|r| allowed(&project, Action::ManageMember(*r))).collect();
    let controls = MemberControls { change, pending_removal: RwSignal::new(None), confirm_open: RwSignal::new(false) };
    let remove_pid = pid.clone();

    view! {
        <FormError errors=change_errors />
        <FormError errors=remove_errors />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let project = project.clone();
                let assignable = assignable.clone();
                let pid = pid.clone();
                Suspend::new(async move {
                    match data.await {
                        Err(e) => load_error(e),
                        Ok(access) => view! {
                            {may_add.then(|| add_member_form(add, add_errors, &pid, &assignable, access.candidates))}
                            <section class="panel" aria-labelledby="who-has-access">
                                <h2 id="who-has-access">"Who has access"</h2>
                                <p class="muted">"Admins see every project. Members see its vaults, except restricted vaults they are not on the list of (Project Managers see those too)."</p>
                                {access_table(&project, access.people, &assignable, controls)}
                            </section>
                            {disabled_members(&project, access.disabled_members, controls)}
                        }.into_any(),
                    }
                })
            }}
        </Transition>
        <ConfirmDialog
            open=controls.confirm_open
            title="Remove member?".to_owned()
            message=Signal::derive(move || controls.pending_removal.get().map(|(m, admin): (Member, bool)| if admin {
                format!("{} stops being a member; as an Admin they still see every project.", m.name)
            } else {
                format!("{} loses access to this project and its vaults.", m.name)
            }).unwrap_or_default())
            confirm_label="Remove".to_owned()
            danger=true
            on_confirm=move |_| {
                if let Some((m, _)) = controls.pending_removal.get_untracked() {
                    remove.call(RemoveMember { project_id: remove_pid.clone(), user_id: m.user_id.to_string() });
                }
            }
        />
    }
}

/// What a member row needs to change a role or ask to remove someone.
#[derive(Clone, Copy)]
struct MemberControls {
    change: FormAction<ChangeMemberRole>,
    /// The member to remove, and whether they are an Admin (who keeps seeing the project).
    pending_removal: RwSignal<Option<(Member, bool)>>,
    confirm_open: RwSignal<bool>,
}

fn add_member_form(
    add: FormAction<AddMember>,
    errors: ErrorSignal,
    pid: &str,
    assignable: &[ProjectRole],
    candidates: Vec<UserOption>,
) -> impl IntoView {
    let pid = pid.to_owned();
    let roles = assignable.iter().rev().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view();
    let nobody = candidates.is_empty();
    view! {
        <section class="panel">
            <h2>"Add a member"</h2>
            <FormError errors />
            {if nobody {
                view! { <p class="muted">"Everyone who can sign in is already a member."</p> }.into_any()
            } else {
                view! {
                    <PostForm action=add attr:class="toolbar picker-form">
                        <input type="hidden" name="project_id" value=pid />
                        <PersonPicker id="member-user" label="User" people=candidates errors />
                        <div class="field">
                            <label for="member-role">"Role"</label>
                            <select id="member-role" name="role">{roles}</select>
                        </div>
                        <button class="button primary" type="submit" disabled=move || add.pending().get()>"Add member"</button>
                    </PostForm>
                }.into_any()
            }}
        </section>
    }
}

/// Whether `text` (a search box's content) finds `person`: a part of the name or e-mail,
/// ignoring case; empty text finds everyone.
pub fn person_matches(person: &UserOption, text: &str) -> bool {
    let text = text.trim().to_lowercase();
    text.is_empty() || person.name.to_lowercase().contains(&text) || person.email.to_lowercase().contains(&text)
}

/// How a person reads in a picker (and in the tests that pick them).
fn person_label(person: &UserOption) -> String {
    format!("{} <{}>", person.name, person.email)
}

/// A people picker that narrows as one types: a search box (part of a name or e-mail, any
/// case) above a native list box of the matches, whose choice is submitted as `user_id`.
/// A native list box keeps arrows, Home/End and screen readers working without scripts of
/// our own; Arrow Down moves from the box to the list, and the first match is chosen while
/// typing, so typing part of an address and pressing Enter is enough. The server offers only
/// people who can be given access (never disabled users or system accounts) and checks the
/// choice again.
#[component]
pub fn PersonPicker(
    /// Prefix of the element ids (unique on the page); the list box has this id.
    id: &'static str,
    /// The list box's label.
    label: &'static str,
    people: Vec<UserOption>,
    /// The form's errors; the one for the `user` field shows under the list.
    errors: ErrorSignal,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let total = people.len();
    let people = StoredValue::new(people);
    let query = RwSignal::new(String::new());
    let chosen = RwSignal::new(String::new());
    let matches = move |text: &str| -> Vec<UserOption> {
        people.with_value(|all| all.iter().filter(|u| person_matches(u, text)).cloned().collect())
    };
    let shown = Memo::new(move |_| matches(&query.get()));
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        let found = matches(&text);
        if !found.iter().any(|u| u.id.to_string() == chosen.get_untracked()) {
            chosen.set(if text.trim().is_empty() {
                String::new()
            } else {
                found.first().map(|u| u.id.to_string()).unwrap_or_default()
            });
        }
        query.set(text);
    };
    let list = NodeRef::<leptos::html::Select>::new();
    let to_list = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "ArrowDown"
            && let Some(l) = list.get()
        {
            ev.prevent_default();
            let _ = l.focus();
        }
    };
    let status = move || match (query.with(|q| q.trim().is_empty()), shown.with(Vec::len)) {
        (true, _) => format!("{} to choose from.", people_count(total)),
        (false, 0) => "Nobody matches.".to_owned(),
        (false, n) => format!("{n} of {total} shown."),
    };
    let (search_id, status_id, error_id) = (format!("{id}-search"), format!("{id}-status"), format!("{id}-error"));
    let message = move || errors.get().and_then(|e| e.for_field("user"));
    view! {
        <div class="field person-picker" class:invalid=move || message().is_some()>
            <label for=search_id.clone()>"Find by name or e-mail"</label>
            <input id=search_id type="search" autocomplete="off" spellcheck="false" disabled=disabled
                aria-controls=id aria-describedby=status_id.clone()
                prop:value=move || query.get() on:input=on_input on:keydown=to_list />
            <p class="hint" id=status_id.clone() aria-live="polite">{status}</p>
            <label for=id>{label}</label>
            <select id=id name="user_id" size="6" disabled=disabled node_ref=list
                aria-describedby=format!("{status_id} {error_id}")
                on:change=move |ev| chosen.set(event_target_value(&ev))>
                <For each=move || shown.get() key=|u| u.id children=move |u| {
                    let uid = u.id.to_string();
                    let value = uid.clone();
                    view! { <option value=value prop:selected=move || chosen.get() == uid>{person_label(&u)}</option> }
                } />
            </select>
            <p class="field-error" id=error_id>{message}</p>
        </div>
    }
}

/// "1 person", "3 people".
fn people_count(n: usize) -> String {
    if n == 1 { "1 person".to_owned() } else { format!("{n} people") }
}

/// The badges that say why a person has access: Admin, a project role, a restricted vault's
/// list (`show_listed`, for a restricted vault), an invitation not accepted yet. The role is
/// left out (`show_role` false) where a role picker shows it instead. Shared with the vault
/// page.
pub fn access_badges(person: &AccessHolder, show_role: bool, show_listed: bool) -> impl IntoView + use<> {
    view! {
        {person.is_admin.then(|| view! { <span class="badge accent">"Admin — sees every project"</span> })}
        {show_role.then_some(person.role).flatten().map(|r| view! { <span class="badge">{r.label()}</span> })}
        {(show_listed && person.listed).then(|| view! { <span class="badge">"On the vault's list"</span> })}
        {person.pending.then(|| view! { <span class="badge warn">"Invited, not joined yet"</span> })}
    }
}

fn access_table(
    project: &ProjectDetail,
    people: Vec<AccessHolder>,
    assignable: &[ProjectRole],
    controls: MemberControls,
) -> AnyView {
    // Admins are always listed, so "no members" is said beside them rather than instead.
    let no_members = people.iter().all(|p| p.role.is_none()).then(|| {
        view! { <p class="muted">"No members yet: only Admins see this project. Add people so they can see its vaults."</p> }
    });
    let rows = people.into_iter().map(|person| access_row(project, person, assignable, controls)).collect_view();
    view! {
        {no_members}
        <div class="table-wrap">
            <table class="data stack-on-mobile access-table">
                <thead><tr><th>"Name"</th><th>"E-mail"</th><th>"Access"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// One person: their access, and — for a membership the viewer may manage — the role picker
/// and the Remove button. An Admin who is not a member has nothing to manage here.
fn access_row(
    project: &ProjectDetail,
    person: AccessHolder,
    assignable: &[ProjectRole],
    controls: MemberControls,
) -> impl IntoView + use<> {
    let member = person.member().filter(|m| allowed(project, Action::ManageMember(m.role)));
    let role_form = member.clone().map(|m| role_form(project, &m, assignable, controls.change));
    let remove_button = member.map(|m| remove_button(m, person.is_admin, controls));
    view! {
        <tr>
            <td data-label="Name">{person.name.clone()}</td>
            <td data-label="E-mail">{person.email.clone()}</td>
            <td data-label="Access">
                <span class="access-badges">
                    {access_badges(&person, role_form.is_none(), false)}
                    {role_form}
                </span>
            </td>
            <td class="actions">{remove_button}</td>
        </tr>
    }
}

fn role_form(
    project: &ProjectDetail,
    m: &Member,
    assignable: &[ProjectRole],
    change: FormAction<ChangeMemberRole>,
) -> impl IntoView + use<> {
    let row_id = format!("role-{}", m.user_id);
    let label = format!("Role of {}", m.name);
    let (pid, uid, from) = (project.id.to_string(), m.user_id.to_string(), m.role.as_str());
    let current = m.role;
    let options = assignable
        .iter()
        .map(|r| view! { <option value=r.as_str() selected=*r == current>{r.label()}</option> })
        .collect_view();
    view! {
        <PostForm action=change attr:class="inline-form">
            <input type="hidden" name="project_id" value=pid />
            <input type="hidden" name="user_id" value=uid />
            <input type="hidden" name="from" value=from />
            <label class="sr-only" for=row_id.clone()>{label}</label>
            <select id=row_id name="to">{options}</select>
            <button class="button" type="submit">"Save"</button>
        </PostForm>
    }
}

fn remove_button(m: Member, is_admin: bool, controls: MemberControls) -> impl IntoView + use<> {
    let label = format!("Remove: {}", m.name);
    view! {
        <button class="button" type="button" aria-label=label
            on:click=move |_| { controls.pending_removal.set(Some((m.clone(), is_admin))); controls.confirm_open.set(true); }>
            "Remove"
        </button>
    }
}

/// Members whose account is disabled: they have no access while disabled, but keep the
/// membership for the record (it counts again if the account is enabled), so it is shown
/// apart and can still be removed.
fn disabled_members(project: &ProjectDetail, members: Vec<Member>, controls: MemberControls) -> Option<AnyView> {
    if members.is_empty() {
        return None;
    }
    let items = members
        .into_iter()
        .map(|m| {
            let manageable = allowed(project, Action::ManageMember(m.role));
            let text = format!("{} <{}> — {}", m.name, m.email, m.role.label());
            view! { <li><span>{text}</span>{manageable.then(|| remove_button(m, false, controls))}</li> }
        })
        .collect_view();
    Some(
        view! {
            <section class="panel" aria-labelledby="disabled-members">
                <h2 id="disabled-members">"Disabled accounts"</h2>
                <p class="muted">"These members have no access while their account is disabled; their membership is kept and counts again if an Admin enables them."</p>
                <ul class="plain-list">{items}</ul>
            </section>
        }
        .into_any(),
    )
}

#[component]
fn SettingsTab(project: ProjectDetail, reload: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let update = FormAction::<UpdateProject>::new();
    let archive = FormAction::<SetProjectArchived>::new();
    let errors = action_error(update);
    let archive_errors = action_error(archive);
    Effect::new(move |_| {
        if let Some(Ok(())) = update.value().get() {
            toasts.show("Project saved.");
            reload.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = archive.value().get() {
            toasts.show("Project archive state changed.");
            reload.update(|n| *n += 1);
        }
    });
    let archived = project.facts.archived;
    let confirm_open = RwSignal::new(false);
    let id = project.id.to_string();
    let archive_id = id.clone();
    view! {
        <section class="panel">
            <h2>"Name and description"</h2>
            <PostForm action=update attr:class="stack" attr:novalidate=true>
                <FormError errors />
                <input type="hidden" name="id" value=id.clone() />
                <fieldset disabled=archived>
                    <Field label="Name" name="name" errors maxlength=64 value=project.name.clone() />
                    <Field label="Description" name="description" errors maxlength=500 value=project.description.clone() />
                    <button class="button primary" type="submit" disabled=move || update.pending().get()>"Save"</button>
                </fieldset>
            </PostForm>
        </section>
        <section class="panel">
            <h2>{if archived { "Unarchive" } else { "Archive" }}</h2>
            <p class="muted">
                {if archived {
                    "Unarchiving makes the project and its vaults editable again and shows it in lists."
                } else {
                    "Archiving makes the project and its vaults read-only for people and hides it from lists; machines keep reading with their access keys (revoke them to cut machines off). Nothing is deleted; you can unarchive it later."
                }}
            </p>
            <FormError errors=archive_errors />
            <button class="button" class:danger=!archived type="button" on:click=move |_| confirm_open.set(true)>
                {if archived { "Unarchive project" } else { "Archive project" }}
            </button>
        </section>
        <ConfirmDialog
            open=confirm_open
            title=(if archived { "Unarchive this project?" } else { "Archive this project?" }).to_owned()
            message=(if archived { "It becomes editable again." } else { "It becomes read-only for everyone, including Admins, until it is unarchived." }).to_owned()
            confirm_label=(if archived { "Unarchive" } else { "Archive" }).to_owned()
            danger=!archived
            on_confirm=move |_| { archive.call(SetProjectArchived { id: archive_id.clone(), archived: !archived }); }
        />
    }
}
