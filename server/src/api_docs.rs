//! `/api/docs`: the OpenAPI document rendered as one plain HTML page by Secryn itself (no
//! script, no asset from elsewhere, so it reads the same on a machine with no internet).

use serde_json::Value;
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn text(v: &Value) -> String {
    esc(v.as_str().unwrap_or(""))
}

/// A schema's type in words: `string (uuid)`, `array of SecretJson`, a `$ref`'s name.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(all) = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array) {
        return all.iter().map(type_of).collect::<Vec<_>>().join(" or ");
    }
    let kind = match schema.get("type") {
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
        Some(Value::String(k)) => k.clone(),
        _ => "any".to_owned(),
    };
    let mut out = esc(&kind);
    if let Some(items) = schema.get("items") {
        out = format!("{out} of {}", type_of(items));
    }
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        let _ = write!(out, " ({})", esc(f));
    }
    out
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let _ = write!(out, "<section class=\"panel\"><h2><code>{} {}</code></h2>", method.to_uppercase(), esc(path));
    let _ = write!(out, "<p>{}</p>", text(&op["summary"]));
    if let Some(params) = op["parameters"].as_array() {
        out.push_str("<h3>Parameters</h3><div class=\"table-wrap\"><table class=\"data\"><thead><tr><th>Name</th><th>In</th><th>Required</th><th>Description</th></tr></thead><tbody>");
        for p in params {
            let required = if p["required"].as_bool().unwrap_or(false) { "yes" } else { "no" };
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{required}</td><td>{}</td></tr>",
                text(&p["name"]),
                text(&p["in"]),
                text(&p["description"])
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("<h3>Responses</h3><div class=\"table-wrap\"><table class=\"data\"><thead><tr><th>Status</th><th>Description</th><th>Body</th></tr></thead><tbody>");
    if let Some(responses) = op["responses"].as_object() {
        for (status, r) in responses {
            let body = r["content"]["application/json"]["schema"].clone();
            let body = if body.is_null() { String::new() } else { type_of(&body) };
            let _ = write!(out, "<tr><td>{}</td><td>{}</td><td>{body}</td></tr>", esc(status), text(&r["description"]));
        }
    }
    out.push_str("</tbody></table></div></section>");
}

fn schema(out: &mut String, name: &str, s: &Value) {
    let _ = write!(out, "<section class=\"panel\" id=\"schema-{0}\"><h2>{0}</h2>", esc(name));
    let _ = write!(out, "<p>{}</p>", text(&s["description"]));
    if let Some(props) = s["properties"].as_object() {
        let required: Vec<&str> =
            s["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        out.push_str("<div class=\"table-wrap\"><table class=\"data\"><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>");
        for (field, p) in props {
            let req = if required.contains(&field.as_str()) { "yes" } else { "no" };
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{req}</td><td>{}</td></tr>",
                esc(field),
                type_of(p),
                text(&p["description"])
            );
        }
        out.push_str("</tbody></table></div>");
    } else {
        let _ = write!(out, "<p>{}</p>", type_of(s));
    }
    out.push_str("</section>");
}

/// The whole page for `doc` (the OpenAPI document as JSON).
pub fn page(doc: &Value) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Secryn API</title><link rel=\"stylesheet\" href=\"/pkg/secryn.css\"></head><body><main class=\"page api-docs\">",
    );
    let _ = write!(out, "<h1>{}</h1><p>{}</p>", text(&doc["info"]["title"]), text(&doc["info"]["description"]));
    out.push_str(
        "<p>Send <code>Authorization: Bearer &lt;access key&gt;</code> on every call (never in the URL). \
         Errors answer <code>{\"error\": \"…\", \"message\": \"…\"}</code>. \
         The machine-readable document is <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>",
    );
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "put", "post", "delete", "patch"] {
                if let Some(op) = item.get(method) {
                    operation(&mut out, method, path, op);
                }
            }
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, s) in schemas {
            schema(&mut out, name, s);
        }
    }
    out.push_str("</main></body></html>");
    out
}
