//! Toasts: short confirmations in the corner, announced to screen readers, gone after a
//! few seconds or when dismissed.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
struct Toast {
    id: u64,
    text: String,
}

/// The toast list, shared through context.
#[derive(Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    /// Shows `text` for five seconds.
    pub fn show(&self, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.items.update(|v| v.push(Toast { id, text: text.into() }));
        let items = self.items;
        set_timeout(move || items.update(|v| v.retain(|t| t.id != id)), std::time::Duration::from_secs(5));
    }
}

pub fn provide_toasts() {
    provide_context(Toasts { items: RwSignal::new(Vec::new()), next: StoredValue::new(0) });
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.items.get() key=|t| t.id let:t>
                <div class="toast">
                    <span>{t.text.clone()}</span>
                    <button
                        class="icon-button"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.items.update(|v| v.retain(|x| x.id != t.id))
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
