//! Form fields that show their error beside themselves, and the banner for errors that
//! belong to no field.

use crate::domain::AppError;
use crate::ui::components::action::FormAction;
use leptos::prelude::*;

/// The latest error of a server action, as a signal.
pub type ErrorSignal = Signal<Option<AppError>>;

/// Turns an action's value into its error, if the last call failed.
pub fn action_error<S>(action: FormAction<S>) -> ErrorSignal
where
    S: leptos::server_fn::ServerFn<Error = AppError> + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// One labelled input with its error message beneath.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    errors: ErrorSignal,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(default = 200)] maxlength: usize,
    #[prop(optional, into)] hint: String,
    #[prop(optional, into)] value: String,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let err_id = format!("{id}-error");
    let message = move || errors.get().and_then(|e| e.for_field(name));
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                maxlength=maxlength
                value=value
                autofocus=autofocus
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=err_id.clone()
            />
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <p class="field-error" id=err_id>{message}</p>
        </div>
    }
}

/// The banner for an error that belongs to no single field.
#[component]
pub fn FormError(errors: ErrorSignal) -> impl IntoView {
    let message = move || errors.get().filter(|e| e.field.is_none()).map(|e| e.message);
    view! {
        <Show when=move || message().is_some()>
            <p class="form-error" role="alert">{message}</p>
        </Show>
    }
}

/// A secret value's text box, its error, and — once the server refused an empty value — the
/// box to tick for saving an empty value on purpose (sent as `allow_empty`).
#[component]
pub fn ValueField(
    id: &'static str,
    label: &'static str,
    errors: ErrorSignal,
    #[prop(optional)] node_ref: NodeRef<leptos::html::Textarea>,
) -> impl IntoView {
    let err_id = format!("{id}-error");
    let message = move || errors.get().and_then(|e| e.for_field("value"));
    let empty_refused = move || message().is_some_and(|m| m == crate::domain::secret::EMPTY_VALUE);
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id>{label}</label>
            <textarea
                id=id
                name="value"
                rows="4"
                maxlength="65536"
                autocomplete="off"
                spellcheck="false"
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=err_id.clone()
                node_ref=node_ref
            ></textarea>
            <p class="field-error" id=err_id>{message}</p>
            <Show when=empty_refused>
                <label class="check">
                    <input type="checkbox" name="allow_empty" value="on" />
                    " Save an empty value on purpose"
                </label>
            </Show>
        </div>
    }
}

/// One labelled select with its error beneath: the server names the field it refuses (a key
/// type, an output format), and the message shows where the choice was made.
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    errors: ErrorSignal,
    /// `(value, text)` pairs, in the order shown.
    options: Vec<(String, String)>,
    /// The value chosen at first; the first option when empty.
    #[prop(optional, into)]
    selected: String,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    let id = format!("field-{name}");
    let err_id = format!("{id}-error");
    let message = move || errors.get().and_then(|e| e.for_field(name));
    let options = options
        .into_iter()
        .map(|(value, text)| {
            let chosen = value == selected;
            view! { <option value=value selected=chosen>{text}</option> }
        })
        .collect_view();
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <select
                id=id
                name=name
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=err_id.clone()
            >
                {options}
            </select>
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <p class="field-error" id=err_id>{message}</p>
        </div>
    }
}

/// What a `datetime-local` field shows for a stored time (UTC, to the minute); empty for none.
/// The server reads the same form back (`2027-02-11T22:26`).
pub fn input_time(t: Option<i64>) -> String {
    t.and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_micros)
        .map(|d| d.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}
