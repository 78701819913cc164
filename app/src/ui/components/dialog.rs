//! Modal dialogs, built on `<dialog>` so focus is trapped, Escape cancels and the page behind
//! is inert: a confirmation for irreversible or weighty actions, and a sheet that holds the
//! form of a task (new secret, new version, new access key) until it is asked for.

use leptos::html::Dialog;
use leptos::prelude::*;

/// Keeps the `<dialog>` in `node` shown as a modal exactly while `open` is true.
fn follow(node: NodeRef<Dialog>, open: RwSignal<bool>) {
    Effect::new(move |_| {
        let Some(d) = node.get() else { return };
        if open.get() {
            if !d.open() {
                let _ = d.show_modal();
            }
        } else if d.open() {
            d.close();
        }
    });
}

/// A task's form in a modal sheet. Its content (heading included) exists only while it is open, so every opening
/// starts from an empty form and a finished task cannot be submitted twice by accident.
#[component]
pub fn Sheet(
    /// Whether the sheet is showing; the opener sets it, Close and Escape clear it.
    open: RwSignal<bool>,
    /// The heading, also the dialog's accessible name.
    #[prop(into)]
    title: Signal<String>,
    /// Unique on the page: the heading's id is derived from it.
    id: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let node = NodeRef::<Dialog>::new();
    follow(node, open);
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <dialog class="dialog sheet" id=id node_ref=node on:close=move |_| open.set(false) aria-labelledby=labelled_by>
            <Show when=move || open.get()>
                <div class="sheet-head">
                    <h2 id=heading.clone()>{move || title.get()}</h2>
                    <button class="button quiet" type="button" on:click=move |_| open.set(false)>"Close"</button>
                </div>
                {children()}
            </Show>
        </dialog>
    }
}

/// Opens with `open.set(true)`; calls `on_confirm` when the person confirms.
#[component]
pub fn ConfirmDialog(
    /// Whether the dialog is showing.
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] message: Signal<String>,
    #[prop(into)] confirm_label: Signal<String>,
    /// Red confirm button for destructive actions.
    #[prop(optional)]
    danger: bool,
    #[prop(into)] on_confirm: Callback<()>,
    /// Unique on the page when it holds more than one confirmation: the heading's id (the
    /// dialog's accessible name) is derived from it.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let node = NodeRef::<Dialog>::new();
    follow(node, open);
    let heading = format!("{}-title", id.unwrap_or("dialog"));
    let labelled_by = heading.clone();
    view! {
        <dialog class="dialog" node_ref=node on:close=move |_| open.set(false) aria-labelledby=labelled_by>
            <h2 id=heading>{move || title.get()}</h2>
            <p>{move || message.get()}</p>
            <div class="dialog-actions">
                <button class="button" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <button
                    class="button"
                    class:primary=!danger
                    class:danger=danger
                    type="button"
                    on:click=move |_| {
                        open.set(false);
                        on_confirm.run(());
                    }
                >
                    {move || confirm_label.get()}
                </button>
            </div>
        </dialog>
    }
}
