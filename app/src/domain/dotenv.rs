//! `.env` text: reading it for an import (every bad line reported with its number, nothing
//! guessed) and writing it for an export, so that an export imports back unchanged.
//!
//! Accepted per line: blank lines, `# comments`, an optional `export ` prefix, then
//! `NAME=value`. A value is unquoted (trimmed; ` #` starts a comment), single-quoted (taken
//! literally) or double-quoted (`\n`, `\r`, `\t`, `\"`, `\\` escapes; may span lines).

use super::secret::{SecretName, SecretValue};
use serde::{Deserialize, Serialize};

/// A `NAME=value` pair read from a line.
#[derive(Debug)]
pub struct EnvEntry {
    /// 1-based line where the entry starts.
    pub line: usize,
    pub name: String,
    pub value: SecretValue,
}

/// Why a line was not read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvError {
    pub line: usize,
    pub message: String,
}

/// Reads `.env` text into entries and per-line errors. A name given twice is an error on its
/// second line (the first one stands).
pub fn parse(text: &str) -> (Vec<EnvEntry>, Vec<EnvError>) {
    let lines: Vec<&str> = text.lines().collect();
    let (mut entries, mut errors) = (Vec::<EnvEntry>::new(), Vec::new());
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        let mut fail = |message: &str| errors.push(EnvError { line: start + 1, message: message.to_owned() });
        let line = lines[i].trim();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let Some((name, rest)) = line.split_once('=') else {
            fail("Expected NAME=value.");
            continue;
        };
        let name = name.trim();
        if let Err(e) = SecretName::parse("name", name) {
            fail(&format!("“{}”: {}", shorten(name), e.message));
            continue;
        }
        let raw = match read_value(rest.trim_start(), &lines, &mut i) {
            Ok(v) => v,
            Err(message) => {
                fail(message);
                continue;
            }
        };
        let value = match SecretValue::parse("value", raw) {
            Ok(v) => v,
            Err(e) => {
                fail(&format!("{name}: {}", e.message));
                continue;
            }
        };
        if entries.iter().any(|e| e.name == name) {
            fail(&format!("{name} appears more than once; the first one is kept."));
            continue;
        }
        entries.push(EnvEntry { line: start + 1, name: name.to_owned(), value });
    }
    (entries, errors)
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Reads a value that starts at `rest`; a double-quoted one may take more lines from `lines`
/// (advancing `next`).
fn read_value(rest: &str, lines: &[&str], next: &mut usize) -> Result<String, &'static str> {
    if let Some(body) = rest.strip_prefix('\'') {
        return match body.rfind('\'') {
            Some(end) if body[end + 1..].trim().is_empty() || body[end + 1..].trim_start().starts_with('#') => {
                Ok(body[..end].to_owned())
            }
            _ => Err("The single-quoted value is not closed on this line."),
        };
    }
    if let Some(body) = rest.strip_prefix('"') {
        let mut text = body.to_owned();
        loop {
            if let Some(value) = closed_double_quoted(&text) {
                return value;
            }
            let Some(more) = lines.get(*next) else {
                return Err("The double-quoted value is never closed.");
            };
            *next += 1;
            text.push('\n');
            text.push_str(more);
        }
    }
    let value = match rest.find(" #") {
        Some(at) => &rest[..at],
        None => rest,
    };
    Ok(value.trim().to_owned())
}

/// The unescaped value if `body` holds its closing quote (only a comment may follow it).
fn closed_double_quoted(body: &str) -> Option<Result<String, &'static str>> {
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => match chars.next().map(|(_, e)| e) {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => return None,
            },
            '"' => {
                let tail = body[at + 1..].trim();
                return Some(if tail.is_empty() || tail.starts_with('#') {
                    Ok(out)
                } else {
                    Err("Unexpected text after the closing quote.")
                });
            }
            c => out.push(c),
        }
    }
    None
}

/// Writes `NAME="value"` lines (escaped so that [`parse`] reads back the same values).
pub fn render<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        out.push_str(name);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c => out.push(c),
            }
        }
        out.push_str("\"\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String)> {
        parse(text).0.into_iter().map(|e| (e.name, e.value.expose().to_owned())).collect()
    }

    #[test]
    fn reads_the_usual_forms() {
        let text = "# db\nexport DB_URL=postgres://x \n\nA='lit $x \\n'\nB=\"two\\nlines\" # note\nC=plain # c\nD=\nE=\"multi\nline\"\n";
        assert_eq!(
            values(text),
            [
                ("DB_URL".into(), "postgres://x".into()),
                ("A".into(), "lit $x \\n".into()),
                ("B".into(), "two\nlines".into()),
                ("C".into(), "plain".into()),
                ("D".into(), String::new()),
                ("E".into(), "multi\nline".into()),
            ]
        );
    }

    #[test]
    fn bad_lines_are_numbered() {
        let (ok, errors) = parse("GOOD=1\nno equals\nbad name=2\nGOOD=3\nQ=\"open\n");
        assert_eq!(ok.len(), 1);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert!(errors[1].message.contains("bad name"));
        let (_, big) = parse(&format!("BIG={}", "x".repeat(64 * 1024 + 1)));
        assert!(big[0].message.contains("64 KiB"));
    }

    #[test]
    fn export_reads_back_unchanged() {
        let pairs = [("A", "quote \" back \\ slash"), ("B", "line1\nline2\r\n\ttab"), ("C", "#not a comment")];
        let text = render(pairs);
        let back = values(&text);
        assert_eq!(back.len(), 3);
        for ((n, v), (bn, bv)) in pairs.iter().zip(back) {
            assert_eq!((*n, *v), (bn.as_str(), bv.as_str()));
        }
    }
}

/// What an import does (or would do) with one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportOutcome {
    /// A new secret.
    New,
    /// A new version of an existing secret (the person asked for that).
    NewVersion { after: i64 },
    /// The name exists and the person did not ask for new versions.
    Exists,
    /// The line was not read; nothing is done with it.
    Invalid(String),
}

/// One line of an import preview or report (never a value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportLine {
    pub line: usize,
    pub name: String,
    pub outcome: ImportOutcome,
}

/// The preview (`applied` false) or the result of an import, in line order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub lines: Vec<ImportLine>,
    pub applied: bool,
}

impl ImportReport {
    /// Lines that create a secret or a version.
    pub fn writes(&self) -> usize {
        self.lines.iter().filter(|l| matches!(l.outcome, ImportOutcome::New | ImportOutcome::NewVersion { .. })).count()
    }
}
