//! A confirmation dialog for irreversible or weighty actions, built on `<dialog>` so focus is
//! trapped, Escape cancels and the page behind is inert.

use leptos::html::Dialog;
use leptos::prelude::*;

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
) -> impl IntoView {
    let node = NodeRef::<Dialog>::new();
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
    view! {
        <dialog class="dialog" node_ref=node on:close=move |_| open.set(false) aria-labelledby="dialog-title">
            <h2 id="dialog-title">{move || title.get()}</h2>
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
