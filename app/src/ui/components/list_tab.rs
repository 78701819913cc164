//! The frame of a vault tab that lists a few named things (keys, certificates): a filter box
//! and the buttons that add one in the toolbar, the whole list loaded once and narrowed here by
//! name, an empty state that says what the things are for, and each way of adding one in a
//! sheet of its own. What the table shows of each thing, and the forms, stay with the page.

use crate::domain::AppError;
use crate::ui::components::dialog::Sheet;
use crate::ui::components::toast::use_toasts;
use crate::ui::pages::project::load_error;
use crate::wire::Wire;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// What the tab says of what it lists.
#[derive(Clone, Copy)]
pub struct ListWords {
    /// One of them, as sentences name it ("key"); the filter box's id derives from it.
    pub one: &'static str,
    /// More of them ("keys").
    pub many: &'static str,
    /// The empty state's account of what they are for.
    pub about: &'static str,
    /// The empty state's pointer to the buttons, for those who may add one.
    pub how_to_add: &'static str,
    /// The table's column headings.
    pub columns: &'static [&'static str],
}

/// One way of adding a thing: its button in the toolbar (the first way's is the primary one)
/// and the sheet it opens, which holds `form`.
pub struct AddWay {
    pub button: &'static str,
    /// The sheet's heading.
    pub title: &'static str,
    /// The sheet's id, unique on the page.
    pub id: &'static str,
    pub form: ViewFn,
}

/// The tab. `name` is what the filter matches; `row` makes one table row. The buttons and
/// sheets are there only when `may_add`.
#[component]
pub fn ListTab<T, V>(
    words: ListWords,
    list: Resource<Result<Vec<T>, AppError>, Wire>,
    may_add: bool,
    name: fn(&T) -> &str,
    row: fn(T) -> V,
    ways: Vec<AddWay>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let ListWords { one, many, about, how_to_add, columns } = words;
    let filter = RwSignal::new(String::new());
    let filter_id = format!("{one}-filter");
    let ways: Vec<_> = ways.into_iter().map(|w| (w, RwSignal::new(false))).collect();
    let buttons = may_add.then(|| {
        let buttons = ways
            .iter()
            .enumerate()
            .map(|(i, (way, open))| {
                let (open, class) = (*open, if i == 0 { "button primary" } else { "button" });
                view! { <button class=class type="button" on:click=move |_| open.set(true)>{way.button}</button> }
            })
            .collect_view();
        view! { <div class="button-row list-actions">{buttons}</div> }
    });
    let sheets = may_add.then(|| {
        ways.into_iter()
            .map(|(way, open)| {
                let form = way.form;
                view! { <Sheet open title=way.title.to_owned() id=way.id>{form.run()}</Sheet> }
            })
            .collect_view()
    });
    view! {
        <div class="toolbar list-head" role="search">
            <div class="field">
                <label for=filter_id.clone()>"Filter by name"</label>
                <input id=filter_id type="search" maxlength=128 prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev)) />
            </div>
            {buttons}
        </div>
        <Transition fallback=move || view! { <p class="muted" role="status">{format!("Loading {many}…")}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => load_error(e),
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state">
                            <p class="empty-title">{format!("No {many} yet")}</p>
                            <p class="muted">{about}</p>
                            {may_add.then(|| view! { <p class="muted">{how_to_add}</p> })}
                        </div>
                    }.into_any(),
                    Ok(list) => view! { <FilteredTable list filter one columns name row /> }.into_any(),
                }
            })}
        </Transition>
        {sheets}
    }
}

/// The table, narrowed to the names that contain the filter text (any case). A vault holds
/// few of them, so the whole list is loaded and filtered here.
#[component]
fn FilteredTable<T, V>(
    list: Vec<T>,
    filter: RwSignal<String>,
    one: &'static str,
    columns: &'static [&'static str],
    name: fn(&T) -> &str,
    row: fn(T) -> V,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let list = StoredValue::new(list);
    let shown = move || {
        let text = filter.with(|f| f.trim().to_lowercase());
        list.with_value(|l| {
            l.iter().filter(|r| text.is_empty() || name(r).to_lowercase().contains(&text)).cloned().collect::<Vec<_>>()
        })
    };
    move || {
        let rows = shown();
        if rows.is_empty() {
            return view! {
                <div class="empty-state"><p class="empty-title">{format!("No {one} matches this filter")}</p></div>
            }
            .into_any();
        }
        let head = columns.iter().map(|c| view! { <th>{*c}</th> }).collect_view();
        let rows = rows.into_iter().map(row).collect_view();
        view! {
            <div class="table-wrap">
                <table class="data stack-on-mobile">
                    <thead><tr>{head}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    }
}

/// Once the server answers with a new thing's id: says `done` and opens its page, `{base}/{id}`.
pub fn open_created(
    value: impl Fn() -> Option<Result<String, AppError>> + 'static,
    done: &'static str,
    base: &'static str,
) {
    let toasts = use_toasts();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = value() {
            toasts.show(done);
            navigate(&format!("{base}/{id}"), Default::default());
        }
    });
}
