//! The 404 page (also what `/setup` becomes once the instance is set up).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="auth-page" id="main">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p class="lead">"There is nothing here, or you may not see it."</p>
                <p><a class="button" href="/">"Go home"</a></p>
            </div>
        </main>
    }
}
