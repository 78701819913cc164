//! One project: its vaults, its members and (for Admins) its settings, as tabs. Controls
//! appear only where the permission function allows them; the server checks again.

use crate::api::projects::{
    AddMember, ChangeMemberRole, CreateVault, RemoveMember, SetProjectArchived, UpdateProject, get_project,
    list_vaults, member_candidates, project_members,
};
use crate::domain::AppError;
use crate::domain::org::{Member, ProjectDetail};
use crate::domain::permission::{Action, Decision, ProjectRole, Resource as Target, can};
use crate::ui::components::client_only::AfterHydration;
use crate::ui::components::dialog::ConfirmDialog;
use crate::ui::components::form::{Field, FormError, action_error};
use crate::ui::components::toast::use_toasts;
use crate::ui::layout::Breadcrumbs;
use crate::ui::pages::not_found::NotFound;
use leptos::prelude::*;
use leptos_meta::Title;
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

#[component]
pub fn ProjectPage(tab: ProjectTab) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let project = Resource::new_blocking(move || (id(), reload.get()), |(id, _)| get_project(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) => view! { <ProjectFrame project=p tab reload /> }.into_any(),
                    Err(e) => load_error(e),
                }
            })}
        </Transition>
    }
}

#[component]
fn ProjectFrame(project: ProjectDetail, tab: ProjectTab, reload: RwSignal<u32>) -> impl IntoView {
    let base = format!("/projects/{}", project.id);
    let show_settings = allowed(&project, Action::EditProject);
    let tab_link = move |t: ProjectTab, href: String, label: &'static str| {
        view! { <a href=href aria-current=(t == tab).then_some("page")>{label}</a> }
    };
    let for_body = project.clone();
    let body = move || {
        let project = for_body.clone();
        match tab {
            ProjectTab::Vaults => view! { <VaultsTab project /> }.into_any(),
            ProjectTab::Members => view! { <MembersTab project /> }.into_any(),
            ProjectTab::Settings if show_settings => view! { <SettingsTab project reload /> }.into_any(),
            ProjectTab::Settings => view! { <NotFound /> }.into_any(),
        }
    };
    view! {
        <Title text=project.name.clone() />
        <div class="page">
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
            <nav class="tabs" aria-label="Project sections">
                {tab_link(ProjectTab::Vaults, base.clone(), "Vaults")}
                {tab_link(ProjectTab::Members, format!("{base}/members"), "Members")}
                {show_settings.then(|| tab_link(ProjectTab::Settings, format!("{base}/settings"), "Settings"))}
            </nav>
            <AfterHydration>{body.clone()}</AfterHydration>
        </div>
    }
}

#[component]
fn VaultsTab(project: ProjectDetail) -> impl IntoView {
    let may_create = allowed(&project, Action::ManageVaults);
    let create = ServerAction::<CreateVault>::new();
    let errors = action_error(create);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/vaults/{id}"), Default::default());
        }
    });
    let pid = project.id.to_string();
    let project_id = StoredValue::new(pid.clone());
    let vaults = Resource::new_blocking(move || pid.clone(), list_vaults);
    view! {
        <Show when=move || may_create>
            <details class="panel">
                <summary><strong>"New vault"</strong></summary>
                <ActionForm action=create attr:class="stack" attr:novalidate=true>
                    <FormError errors />
                    <input type="hidden" name="project_id" value=project_id.get_value() />
                    <Field label="Name" name="name" errors maxlength=64 hint="Unique in this project, for example production or staging." />
                    <Field label="Description" name="description" errors maxlength=500 />
                    <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create vault"</button>
                </ActionForm>
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

#[component]
fn MembersTab(project: ProjectDetail) -> impl IntoView {
    let toasts = use_toasts();
    let add = ServerAction::<AddMember>::new();
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let add_errors = action_error(add);
    let change_errors = action_error(change);
    let remove_errors = action_error(remove);
    for (action_value, text) in
        [(add.value(), "Member added."), (change.value(), "Role changed."), (remove.value(), "Member removed.")]
    {
        Effect::new(move |_| {
            if let Some(Ok(())) = action_value.get() {
                toasts.show(text);
            }
        });
    }
    let pid = project.id.to_string();
    let may_add = allowed(&project, Action::ManageMember(ProjectRole::ReadOnly));
    // One resource for the whole tab: nested suspense inside forms does not hydrate cleanly.
    let data = Resource::new_blocking(
        {
            let pid = pid.clone();
            move || (pid.clone(), add.version().get(), change.version().get(), remove.version().get())
        },
        move |(id, ..)| async move {
            let members = project_members(id.clone()).await?;
            let candidates = if may_add { member_candidates(id).await? } else { Vec::new() };
            Ok::<_, AppError>((members, candidates))
        },
    );
    let assignable: Vec<ProjectRole> =
        ProjectRole::ALL.into_iter().filter(|r| allowed(&project, Action::ManageMember(*r))).collect();
    let confirm_open = RwSignal::new(false);
    let pending_removal = RwSignal::new(None::<Member>);
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
                        Ok((members, candidates)) => view! {
                            {may_add.then(|| add_member_form(add, add_errors, &pid, &assignable, candidates))}
                            {members_table(&project, members, &assignable, change, pending_removal, confirm_open)}
                        }.into_any(),
                    }
                })
            }}
        </Transition>
        <ConfirmDialog
            open=confirm_open
            title="Remove member?".to_owned()
            message=Signal::derive(move || pending_removal.get().map(|m| format!("{} loses access to this project and its vaults.", m.name)).unwrap_or_default())
            confirm_label="Remove".to_owned()
            danger=true
            on_confirm=move |_| {
                if let Some(m) = pending_removal.get_untracked() {
                    remove.dispatch(RemoveMember { project_id: remove_pid.clone(), user_id: m.user_id.to_string() });
                }
            }
        />
    }
}

fn add_member_form(
    add: ServerAction<AddMember>,
    errors: crate::ui::components::form::ErrorSignal,
    pid: &str,
    assignable: &[ProjectRole],
    candidates: Vec<crate::domain::org::UserOption>,
) -> impl IntoView {
    let pid = pid.to_owned();
    let people = candidates
        .into_iter()
        .map(|u| view! { <option value=u.id.to_string()>{format!("{} <{}>", u.name, u.email)}</option> })
        .collect_view();
    let roles = assignable.iter().rev().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view();
    view! {
        <section class="panel">
            <h2>"Add a member"</h2>
            <FormError errors />
            <ActionForm action=add attr:class="toolbar">
                <input type="hidden" name="project_id" value=pid />
                <div class="field">
                    <label for="member-user">"User"</label>
                    <select id="member-user" name="user_id" aria-describedby="member-user-error">
                        <option value="">"Choose a user…"</option>
                        {people}
                    </select>
                    <p class="field-error" id="member-user-error">{move || errors.get().and_then(|e| e.for_field("user"))}</p>
                </div>
                <div class="field">
                    <label for="member-role">"Role"</label>
                    <select id="member-role" name="role">{roles}</select>
                </div>
                <button class="button primary" type="submit" disabled=move || add.pending().get()>"Add member"</button>
            </ActionForm>
        </section>
    }
}

fn members_table(
    project: &ProjectDetail,
    members: Vec<Member>,
    assignable: &[ProjectRole],
    change: ServerAction<ChangeMemberRole>,
    pending_removal: RwSignal<Option<Member>>,
    confirm_open: RwSignal<bool>,
) -> AnyView {
    if members.is_empty() {
        return view! {
            <div class="empty-state"><p class="empty-title">"No members yet"</p><p class="muted">"Add people so they can see this project's vaults."</p></div>
        }
        .into_any();
    }
    let rows = members
        .into_iter()
        .map(|m| {
            let manageable = allowed(project, Action::ManageMember(m.role));
            let role_cell = if manageable {
                let row_id = format!("role-{}", m.user_id);
                let label = format!("Role of {}", m.name);
                let (pid, uid, from) = (project.id.to_string(), m.user_id.to_string(), m.role.as_str());
                let options = assignable
                    .iter()
                    .map(|r| view! { <option value=r.as_str() selected=*r == m.role>{r.label()}</option> })
                    .collect_view();
                view! {
                    <ActionForm action=change attr:class="inline-form">
                        <input type="hidden" name="project_id" value=pid />
                        <input type="hidden" name="user_id" value=uid />
                        <input type="hidden" name="from" value=from />
                        <label class="sr-only" for=row_id.clone()>{label}</label>
                        <select id=row_id name="to">{options}</select>
                        <button class="button" type="submit">"Save"</button>
                    </ActionForm>
                }
                .into_any()
            } else {
                view! { <span class="badge accent">{m.role.label()}</span> }.into_any()
            };
            let remove_button = manageable.then(|| {
                let m = m.clone();
                view! {
                    <button class="button" type="button" on:click=move |_| { pending_removal.set(Some(m.clone())); confirm_open.set(true); }>
                        "Remove"
                    </button>
                }
            });
            view! {
                <tr>
                    <td data-label="Name">{m.name.clone()}</td>
                    <td data-label="E-mail">{m.email.clone()}</td>
                    <td data-label="Role">{role_cell}</td>
                    <td class="actions">{remove_button}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data stack-on-mobile">
                <thead><tr><th>"Name"</th><th>"E-mail"</th><th>"Role"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn SettingsTab(project: ProjectDetail, reload: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let update = ServerAction::<UpdateProject>::new();
    let archive = ServerAction::<SetProjectArchived>::new();
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
            <ActionForm action=update attr:class="stack" attr:novalidate=true>
                <FormError errors />
                <input type="hidden" name="id" value=id.clone() />
                <fieldset disabled=archived>
                    <Field label="Name" name="name" errors maxlength=64 value=project.name.clone() />
                    <Field label="Description" name="description" errors maxlength=500 value=project.description.clone() />
                    <button class="button primary" type="submit" disabled=move || update.pending().get()>"Save"</button>
                </fieldset>
            </ActionForm>
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
            on_confirm=move |_| { archive.dispatch(SetProjectArchived { id: archive_id.clone(), archived: !archived }); }
        />
    }
}
