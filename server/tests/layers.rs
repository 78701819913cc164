//! The layering rule, checked: front doors (server functions, REST, downloads, the HTTP
//! middleware) call services and never name the data layer — no `repo::`, no `server::db`,
//! no `sqlx`. Only the composition root (`main.rs`, `startup.rs`) opens the database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use std::path::{Path, PathBuf};

/// The front doors' source files.
fn front_doors() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut files: Vec<PathBuf> =
        ["rest.rs", "http.rs", "downloads.rs", "api_docs.rs"].iter().map(|f| root.join("server/src").join(f)).collect();
    for entry in std::fs::read_dir(root.join("app/src/api")).unwrap() {
        files.push(entry.unwrap().path());
    }
    files
}

#[test]
fn front_doors_never_name_the_data_layer() {
    let forbidden = ["repo::", "server::db", "sqlx", "inline_sqlite"];
    let mut found = Vec::new();
    let files = front_doors();
    assert!(files.len() >= 8, "the front doors were found: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if let Some(word) = forbidden.iter().find(|w| line.contains(*w)) {
                found.push(format!("{}:{}: names `{word}`: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "front doors must call services, not the data layer:\n{}", found.join("\n"));
}
