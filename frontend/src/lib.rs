//! The browser entry point: hydrates the server-rendered page, then marks the body so tests
//! (and people) know the page is interactive.

use wasm_bindgen::prelude::wasm_bindgen;

/// Loads the page's area of the app (a separate WASM part, `app::ui::split`) first, then
/// hydrates: every page of the first view then renders at once, as the server rendered it.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The executor the reactive system and the area loading run on (already set is fine).
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let document = leptos::prelude::document();
        let path = document.location().and_then(|l| l.pathname().ok()).unwrap_or_default();
        if let Some(area) = app::ui::split::Area::of(&path) {
            area.load().await;
        }
        leptos::mount::hydrate_body(app::App);
        if let Some(body) = document.body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
