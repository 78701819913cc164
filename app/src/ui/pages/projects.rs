//! The projects list: search, "show archived", and (for Admins) creating a project.

use crate::api::projects::{CreateProject, list_projects};
use crate::domain::permission::{Action, Decision, Resource as Target, can};
use crate::ui::components::action::{FormAction, PostForm};
use crate::ui::components::form::{Field, FormError, action_error};
use crate::ui::layout::{Breadcrumbs, use_user};
use crate::wire;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let user = use_user();
    let may_create =
        user.as_ref().is_some_and(|u| can(u.principal(), Action::ManageInstance, Target::Instance) == Decision::Allow);
    let search = RwSignal::new(String::new());
    let show_archived = RwSignal::new(false);
    let create = FormAction::<CreateProject>::new();
    let errors = action_error(create);
    let creating = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/projects/{id}"), Default::default());
        }
    });
    let projects = wire::resource(move || (search.get(), show_archived.get()), |(s, a)| list_projects(s, a));

    view! {
        <Title text="Projects" />
        <div class="page">
            <Breadcrumbs current="Projects".to_owned() />
            <div class="page-head">
                <h1>"Projects"</h1>
                {may_create.then(|| view! {
                    <button class="button primary" type="button" on:click=move |_| creating.update(|c| *c = !*c)>
                        "New project"
                    </button>
                })}
            </div>
            <Show when=move || creating.get()>
                <section class="panel">
                    <h2>"New project"</h2>
                    <PostForm action=create attr:class="stack" attr:novalidate=true>
                        <FormError errors />
                        <Field label="Name" name="name" errors maxlength=64 autofocus=true hint="Unique in this Secryn, for example an application, team or customer." />
                        <Field label="Description" name="description" errors maxlength=500 />
                        <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create project"</button>
                    </PostForm>
                </section>
            </Show>
            <div class="toolbar" role="search">
                <div class="field">
                    <label for="project-search">"Search by name"</label>
                    <input
                        id="project-search"
                        type="search"
                        maxlength=100
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))
                    />
                </div>
                <label class="check">
                    <input type="checkbox" prop:checked=move || show_archived.get() on:change=move |ev| show_archived.set(event_target_checked(&ev)) />
                    " Show archived"
                </label>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match projects.await {
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <div class="empty-state">
                                <p class="empty-title">"No projects here"</p>
                                <p class="muted">
                                    {if may_create { "Create the first project to hold your vaults." } else { "Ask an Admin to add you to a project." }}
                                </p>
                            </div>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="data stack-on-mobile">
                                    <thead>
                                        <tr><th>"Name"</th><th>"Description"</th><th>"Vaults"</th><th>"Members"</th><th>"Your role"</th></tr>
                                    </thead>
                                    <tbody>
                                        {list.into_iter().map(|p| view! {
                                            <tr>
                                                <td data-label="Name">
                                                    <a href=format!("/projects/{}", p.id)>{p.name}</a>
                                                    {p.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}
                                                </td>
                                                <td data-label="Description" class="muted">{p.description}</td>
                                                <td data-label="Vaults">{p.vault_count}</td>
                                                <td data-label="Members">{p.member_count}</td>
                                                <td data-label="Your role">{p.my_role.map(|r| r.label()).unwrap_or(if may_create { "Admin" } else { "—" })}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
