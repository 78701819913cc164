//! Content that renders in the browser once the page is interactive. Used for tab bodies
//! whose nested data and forms did not hydrate reliably from server HTML: the server sends a
//! placeholder, the browser fills it in right after hydration.

use leptos::prelude::*;

#[component]
pub fn AfterHydration(children: ChildrenFn) -> impl IntoView {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    view! {
        <Show when=move || ready.get() fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {children()}
        </Show>
    }
}
