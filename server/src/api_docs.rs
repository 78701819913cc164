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

/// A description as HTML: Markdown-style `code` spans become `<code>`, everything else is
/// escaped text. A last backtick with no partner stays a backtick.
fn prose(v: &Value) -> String {
    let parts: Vec<&str> = v.as_str().unwrap_or("").split('`').collect();
    // An odd number of backticks leaves an even number of parts; the last one follows the lone backtick.
    let lone = parts.len().is_multiple_of(2);
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i.is_multiple_of(2) {
            out.push_str(&esc(part));
        } else if lone && i == parts.len() - 1 {
            let _ = write!(out, "`{}", esc(part));
        } else {
            let _ = write!(out, "<code>{}</code>", esc(part));
        }
    }
    out
}

/// A paragraph of [`prose`], or nothing when there is no text.
fn para(v: &Value) -> String {
    let html = prose(v);
    if html.is_empty() { html } else { format!("<p>{html}</p>") }
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

/// Opens a table in a frame that scrolls sideways on a narrow screen: a named region the
/// keyboard can reach, so it can be scrolled without a mouse.
fn open_table(out: &mut String, label: &str, columns: &[&str]) {
    let _ = write!(
        out,
        "<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-label=\"{}\"><table class=\"data\"><thead><tr>",
        esc(label)
    );
    for c in columns {
        let _ = write!(out, "<th>{c}</th>");
    }
    out.push_str("</tr></thead><tbody>");
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let title = format!("{} {path}", method.to_uppercase());
    let _ = write!(out, "<section class=\"panel\"><h2><code>{}</code></h2>", esc(&title));
    out.push_str(&para(&op["summary"]));
    if let Some(params) = op["parameters"].as_array() {
        out.push_str("<h3>Parameters</h3>");
        open_table(out, &format!("Parameters of {title}"), &["Name", "In", "Required", "Description"]);
        for p in params {
            let required = if p["required"].as_bool().unwrap_or(false) { "yes" } else { "no" };
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{required}</td><td>{}</td></tr>",
                text(&p["name"]),
                text(&p["in"]),
                prose(&p["description"])
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("<h3>Responses</h3>");
    open_table(out, &format!("Responses of {title}"), &["Status", "Description", "Body"]);
    if let Some(responses) = op["responses"].as_object() {
        for (status, r) in responses {
            let body = r["content"]["application/json"]["schema"].clone();
            let body = if body.is_null() { String::new() } else { type_of(&body) };
            let _ =
                write!(out, "<tr><td>{}</td><td>{}</td><td>{body}</td></tr>", esc(status), prose(&r["description"]));
        }
    }
    out.push_str("</tbody></table></div></section>");
}

fn schema(out: &mut String, name: &str, s: &Value) {
    let _ = write!(out, "<section class=\"panel\" id=\"schema-{0}\"><h3>{0}</h3>", esc(name));
    out.push_str(&para(&s["description"]));
    if let Some(props) = s["properties"].as_object() {
        let required: Vec<&str> =
            s["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        open_table(out, &format!("Fields of {name}"), &["Field", "Type", "Required", "Description"]);
        for (field, p) in props {
            let req = if required.contains(&field.as_str()) { "yes" } else { "no" };
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{req}</td><td>{}</td></tr>",
                esc(field),
                type_of(p),
                prose(&p["description"])
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
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Secryn API</title><link rel=\"stylesheet\" href=\"{}\"></head><body>\
         <header class=\"api-docs-head\"><nav aria-label=\"Secryn\"><a class=\"back-link\" href=\"/\"><span aria-hidden=\"true\">← </span>Back to Secryn</a></nav></header>\
         <main class=\"page api-docs\" id=\"main\">",
        crate::http::stylesheet_href()
    );
    let _ = write!(out, "<h1>{}</h1>{}", text(&doc["info"]["title"]), para(&doc["info"]["description"]));
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backticks_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            prose(&json!("`names`: only `id` & <b>")),
            "<code>names</code>: only <code>id</code> &amp; &lt;b&gt;"
        );
        assert_eq!(prose(&json!("a `<x>` b")), "a <code>&lt;x&gt;</code> b");
        assert_eq!(prose(&json!("one ` alone")), "one ` alone");
        assert_eq!(prose(&json!("`a` and ` b")), "<code>a</code> and ` b");
        assert_eq!(prose(&Value::Null), "");
    }

    #[test]
    fn the_page_links_back_and_shows_no_raw_backticks() {
        let doc = json!({
            "info": { "title": "T", "description": "Uses `x`." },
            "paths": { "/v1/a": { "get": { "summary": "Get `a`.", "parameters": [
                { "name": "p", "in": "query", "description": "`names` or `all`." }
            ], "responses": { "200": { "description": "The `A`." } } } } },
            "components": { "schemas": { "A": { "description": "An `A`.", "properties": {
                "id": { "type": "string", "description": "The `id`." }
            } } } }
        });
        let html = page(&doc);
        assert!(html.contains("<a class=\"back-link\" href=\"/\">"), "{html}");
        assert!(!html.contains('`'), "{html}");
        assert!(html.contains("<code>names</code> or <code>all</code>"));
    }
}
