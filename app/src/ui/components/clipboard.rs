//! The one way to put text on the clipboard, with a toast that says whether it worked.
//!
//! Browsers offer `navigator.clipboard` only in a secure context (https, localhost); an
//! instance tried over plain http on a LAN name has none, and calling it there throws. So the
//! asynchronous API is used where it exists, and otherwise (or when it refuses) the text is
//! copied through a hidden, selected text box and `execCommand("copy")`, which works on any
//! origin during a click. Only if both fail is the person told to copy by hand.

use super::toast::{Toasts, use_toasts};
use leptos::prelude::*;

/// What to do when this browser copies nothing: the text is shown in full beside the button.
pub const BY_HAND: &str = "Copying is not available in this browser: select the text above and press Ctrl+C (⌘C).";

/// Text to hand over — a public key, a token, a link, a command — shown in full in a captioned
/// block with its own Copy button, so it can always be selected by hand too. Long lines wrap
/// inside the block and never push the page sideways.
#[component]
pub fn CopyBlock(
    caption: &'static str,
    /// The text block's id, unique on the page.
    id: &'static str,
    text: String,
    /// The button's label, naming what it copies ("Copy token"): several blocks share a page.
    button: &'static str,
    /// The toast after a copy.
    copied: &'static str,
    /// Lets the caller move focus to the button (the next thing to do after a hand-off).
    #[prop(optional)]
    node_ref: NodeRef<leptos::html::Button>,
) -> impl IntoView {
    let toasts = use_toasts();
    let to_copy = text.clone();
    view! {
        <figure class="handoff-block">
            <figcaption>{caption}</figcaption>
            <pre class="copy-text" id=id>{text}</pre>
            <button class="button" type="button" node_ref=node_ref
                on:click=move |_| copy(to_copy.clone(), toasts, copied, BY_HAND)>{button}</button>
        </figure>
    }
}

/// Copies `text`; toasts `done` when it worked, `failed` when nothing could be copied.
#[allow(unused_variables)]
pub fn copy(text: String, toasts: Toasts, done: &'static str, failed: &'static str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::{JsCast, JsValue};
        let Some(window) = web_sys::window() else { return };
        let clipboard = window
            .is_secure_context()
            .then(|| web_sys::js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("clipboard")).ok())
            .flatten()
            .filter(|c| c.is_object());
        let Some(clipboard) = clipboard else {
            toasts.show(if copy_through_selection(&text) { done } else { failed });
            return;
        };
        let fallback = text.clone();
        let ok = Closure::once(move |_: JsValue| toasts.show(done));
        let refused =
            Closure::once(move |_: JsValue| toasts.show(if copy_through_selection(&fallback) { done } else { failed }));
        let _ = clipboard.unchecked_into::<web_sys::Clipboard>().write_text(&text).then2(&ok, &refused);
        // The promise settles later; the callbacks must outlive this call.
        ok.forget();
        refused.forget();
    }
}

/// Copies through a hidden text box (works without a secure context, during a click).
#[cfg(feature = "hydrate")]
fn copy_through_selection(text: &str) -> bool {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return false };
    let Some(body) = document.body() else { return false };
    let Ok(area) = document.create_element("textarea").map(|e| e.unchecked_into::<web_sys::HtmlTextAreaElement>())
    else {
        return false;
    };
    area.set_value(text);
    let _ = area.set_attribute("readonly", "");
    let _ = area.set_attribute("aria-hidden", "true");
    let _ = area.set_attribute("style", "position:fixed;top:0;left:0;width:1px;height:1px;opacity:0;");
    if body.append_child(&area).is_err() {
        return false;
    }
    area.select();
    let copied = document.unchecked_ref::<web_sys::HtmlDocument>().exec_command("copy").unwrap_or(false);
    area.remove();
    copied
}
