//! `.env` text: reading it for an import (every bad line reported with its number, nothing
//! guessed) and writing it for an export, so that an export imports back unchanged and a shell
//! can source it without running anything it holds.
//!
//! **Reading.** Per line: blank lines, `# comments`, an optional `export ` prefix, then
//! `NAME=value`. A value is
//! - unquoted: trimmed; ` #` starts a comment;
//! - single-quoted, read as POSIX sh reads it: literal up to the next `'`, which may be on a
//!   later line; pieces may follow each other (`'a''b'` is `ab`) or be joined by `\'` (a quote),
//!   so `'it'\''s'` is `it's`. A line that is not that (an older hand-written `'it's'`) is read
//!   as before: everything between the first quote and the last one on the line;
//! - double-quoted: `\n`, `\r`, `\t`, `\"`, `\\` escapes (any other `\x` is `x`); may span
//!   lines. Exports made before values were single-quoted are read back this way.
//!
//! Only blanks or a comment may follow a closing quote. The text is read in one forward pass
//! whose work grows linearly with its size (an import runs inside a request), and at most
//! [`TEXT_MAX`] bytes and [`ENTRIES_MAX`] entries are read.
//!
//! **Writing.** Every value is single-quoted, POSIX-sh style: `NAME='value'`, a `'` inside
//! written `'\''` (close, escaped quote, reopen), newlines written as they are. Why: sh expands
//! nothing inside single quotes, so `set -a; . ./vault.env` sets each variable to its value and
//! runs nothing a value holds (`$(…)`, backticks, `${…}`) — a value is data, whoever wrote it.
//!
//! Who reads an export exactly:
//! - POSIX sh (`.` in dash, bash, zsh, …) and this parser: every value (except a NUL character,
//!   which no shell variable can hold).
//! - Common dotenv loaders (python-dotenv, node's dotenv, docker compose `env_file`) take a
//!   single-quoted value literally, newlines included, and run nothing. But none of them reads
//!   `'\''` as sh does (they refuse the line or keep the quotes in the value), they give a
//!   backslash before a quote (python-dotenv also `\\`) a meaning of their own, and
//!   python-dotenv expands `${NAME}` in every value unless called with `interpolate=False`. So
//!   they read exactly every value that contains no `'` and no `\` (for python-dotenv, and no
//!   `${`).
//! - Names: Secryn allows `.` and `-` in names and a leading digit; sh has no such variables and
//!   takes such a line for one command word, `NAME=value`, reports it not found and goes on
//!   (it would run only a file of that very name; a value with a `/` makes it a path under a
//!   directory named `NAME=`). Dotenv loaders read such names.

use super::secret::{SecretName, SecretValue};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Largest `.env` text [`parse`] reads, in bytes (1 MiB). Why: an import is parsed on a
/// request; whatever a caller sends, the work and the preview stay bounded. (The web form's
/// body limit is lower still; this bound holds for every caller.)
pub const TEXT_MAX: usize = 1024 * 1024;

/// Most entries [`parse`] reads: `NAME=value` lines, good and bad together (10,000). Why: each
/// one becomes a line of the import preview and possibly a secret written in one transaction.
pub const ENTRIES_MAX: usize = 10_000;

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
/// second line (the first one stands). Text over [`TEXT_MAX`] bytes or with more than
/// [`ENTRIES_MAX`] entries gives no entries and a single error saying so (at line 1, or at the
/// first line over the bound), so nothing of such a file is imported.
pub fn parse(text: &str) -> (Vec<EnvEntry>, Vec<EnvError>) {
    if text.len() > TEXT_MAX {
        let message = "The file is larger than 1 MiB; split it and import the parts one after another.";
        return (Vec::new(), vec![EnvError { line: 1, message: message.to_owned() }]);
    }
    let mut parser = Parser::new(text);
    parser.run()
}

/// The state of one forward pass over the text.
struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next line to take.
    next: usize,
    /// 1-based number of the line last taken.
    number: usize,
    /// A bit per single-quote scan state (see [`Parser::sh_quoted`]) already scanned: a scan
    /// that meets one stops, so no part of the text is scanned twice in the same state.
    scanned: Vec<u64>,
    /// Bytes looked at, so tests can check that the work stays linear in the text.
    #[cfg_attr(not(test), allow(dead_code))]
    work: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, next: 0, number: 0, scanned: Vec::new(), work: 0 }
    }

    fn run(&mut self) -> (Vec<EnvEntry>, Vec<EnvError>) {
        let (mut entries, mut errors) = (Vec::<EnvEntry>::new(), Vec::<EnvError>::new());
        let mut names = HashSet::<&'a str>::new();
        while let Some((number, start, raw)) = self.next_line() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if entries.len() + errors.len() >= ENTRIES_MAX {
                let message = "The file has more than 10,000 NAME=value lines; split it and import the parts \
                               one after another.";
                return (Vec::new(), vec![EnvError { line: number, message: message.to_owned() }]);
            }
            match self.entry(start, raw, line, &names) {
                Ok((name, value)) => {
                    names.insert(name);
                    entries.push(EnvEntry { line: number, name: name.to_owned(), value });
                }
                Err(message) => errors.push(EnvError { line: number, message }),
            }
        }
        (entries, errors)
    }

    /// The next line as `str::lines` gives it (without `\n` or `\r\n`): its number, its byte
    /// offset in the text and its text.
    fn next_line(&mut self) -> Option<(usize, usize, &'a str)> {
        let start = self.next;
        let rest = self.text.get(start..).filter(|rest| !rest.is_empty())?;
        let (line, taken) = match rest.split_once('\n') {
            Some((line, _)) => (line.strip_suffix('\r').unwrap_or(line), line.len() + 1),
            None => (rest, rest.len()),
        };
        self.work += taken;
        self.next += taken;
        self.number += 1;
        Some((self.number, start, line))
    }

    /// Takes every line that starts at or before byte `at` (a value read that far).
    fn skip_to(&mut self, at: usize) {
        while self.next <= at && self.next_line().is_some() {}
    }

    /// Reads the entry on `line` (`raw` trimmed; `raw` starts at byte `start`); a quoted value
    /// may take more lines.
    fn entry(
        &mut self,
        start: usize,
        raw: &'a str,
        line: &'a str,
        names: &HashSet<&'a str>,
    ) -> Result<(&'a str, SecretValue), String> {
        let line = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let Some((name, rest)) = line.split_once('=') else {
            return Err("Expected NAME=value.".to_owned());
        };
        let name = name.trim();
        if let Err(e) = SecretName::parse("name", name) {
            return Err(format!("“{}”: {}", shorten(name), e.message));
        }
        let rest = rest.trim_start();
        // `rest` ends where the trimmed line ends: that gives its offset in the text.
        let at = start + raw.trim_end().len().saturating_sub(rest.len());
        let raw_value = self.value(rest, at)?;
        let value = SecretValue::parse("value", raw_value).map_err(|e| format!("{name}: {}", e.message))?;
        if names.contains(name) {
            return Err(format!("{name} appears more than once; the first one is kept."));
        }
        Ok((name, value))
    }

    /// Reads a value that starts at `rest` (byte `at` of the text); a quoted one may take more
    /// lines.
    fn value(&mut self, rest: &'a str, at: usize) -> Result<String, String> {
        if let Some(body) = rest.strip_prefix('\'') {
            if let Some((value, end)) = self.sh_quoted(at + 1) {
                self.skip_to(end);
                return Ok(value);
            }
            self.work += body.len();
            return match body.rfind('\'') {
                Some(end) if only_comment(&body[end + 1..]) => Ok(body[..end].to_owned()),
                _ => Err("The single-quoted value is not closed on this line.".to_owned()),
            };
        }
        if let Some(body) = rest.strip_prefix('"') {
            return self.double_quoted(body).map_err(str::to_owned);
        }
        let value = match rest.find(" #") {
            Some(at) => &rest[..at],
            None => rest,
        };
        Ok(value.trim().to_owned())
    }

    /// Reads a word of single-quoted pieces and `\'` as POSIX sh does, from byte `pos` (just
    /// after the opening quote): the value and the byte where the word ends, when nothing but
    /// blanks or a comment follows it on its line; `None` when no quote closes it or other text
    /// follows.
    ///
    /// The scan moves between two states, inside quotes and just after a piece; each
    /// `(byte, state)` is scanned once in the whole parse. A scan that meets a state an earlier
    /// one went through gives up: that earlier scan failed (a successful one ends before any
    /// later line), and the same state always leads to the same end. So a file full of
    /// unclosed quotes costs one pass, not one pass per line.
    fn sh_quoted(&mut self, mut pos: usize) -> Option<(String, usize)> {
        let text = self.text;
        let mut value = String::new();
        let mut inside = true;
        loop {
            if self.mark(pos * 2 + usize::from(!inside)) {
                return None;
            }
            let rest = text.get(pos..).unwrap_or_default();
            if inside {
                let Some(n) = rest.find('\'') else {
                    self.work += rest.len();
                    return None;
                };
                self.work += n + 1;
                value.push_str(&rest[..n]);
                pos += n + 1;
                inside = false;
            } else if rest.starts_with('\'') {
                self.work += 1;
                pos += 1;
                inside = true;
            } else if rest.starts_with("\\'") {
                self.work += 2;
                value.push('\'');
                pos += 2;
            } else {
                return self.only_comment_on_line(rest).then_some((value, pos));
            }
        }
    }

    /// Marks a scan state as scanned; true if it was already.
    fn mark(&mut self, state: usize) -> bool {
        if self.scanned.is_empty() {
            // Two states per byte, the end of the text included.
            self.scanned = vec![0; (2 * self.text.len() + 2) / 64 + 1];
        }
        let Some(word) = self.scanned.get_mut(state / 64) else {
            return true;
        };
        let bit = 1u64 << (state % 64);
        let was = *word & bit != 0;
        *word |= bit;
        was
    }

    /// Whether `rest` holds only blanks, or blanks and a comment, up to the end of its line.
    fn only_comment_on_line(&mut self, rest: &str) -> bool {
        for c in rest.chars() {
            self.work += 1;
            match c {
                '\n' | '#' => return true,
                c if c.is_whitespace() => {}
                _ => return false,
            }
        }
        true
    }

    /// Reads a double-quoted value from `body` (the rest of the trimmed line after the quote),
    /// taking more lines until the closing quote; lines join with `\n`.
    fn double_quoted(&mut self, body: &'a str) -> Result<String, &'static str> {
        let mut value = String::new();
        let mut escaped = false;
        let mut line = body;
        loop {
            for (at, c) in line.char_indices() {
                self.work += 1;
                if escaped {
                    value.push(match c {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        other => other,
                    });
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    return if only_comment(&line[at + 1..]) {
                        Ok(value)
                    } else {
                        Err("Unexpected text after the closing quote.")
                    };
                } else {
                    value.push(c);
                }
            }
            let Some((_, _, more)) = self.next_line() else {
                return Err("The double-quoted value is never closed.");
            };
            // The line break joins the lines (an escaped one too).
            value.push('\n');
            escaped = false;
            line = more;
        }
    }
}

/// Whether the text after a closing quote on a line is blank or a comment.
fn only_comment(tail: &str) -> bool {
    let tail = tail.trim();
    tail.is_empty() || tail.starts_with('#')
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Writes `NAME='value'` lines, single-quoted as POSIX sh quotes (a `'` as `'\''`, newlines as
/// they are), so that sourcing the text runs nothing and [`parse`] reads back the same values.
pub fn render<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        out.push_str(name);
        out.push_str("='");
        for (i, piece) in value.split('\'').enumerate() {
            if i > 0 {
                out.push_str("'\\''");
            }
            out.push_str(piece);
        }
        out.push_str("'\n");
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String)> {
        parse(text).0.into_iter().map(|e| (e.name, e.value.expose().to_owned())).collect()
    }

    /// Parses like [`parse`] (without the size bound) and returns the bytes looked at too.
    fn parse_counting(text: &str) -> (Vec<EnvEntry>, Vec<EnvError>, usize) {
        let mut parser = Parser::new(text);
        let (entries, errors) = parser.run();
        (entries, errors, parser.work)
    }

    /// Values that would run code, expand or be cut short if they were not quoted right.
    const HOSTILE: [&str; 23] = [
        "$(touch pwned_subst)",
        "`touch pwned_tick`",
        "$HOME",
        "${HOME}",
        "${HOME:+x}$((1+1))",
        "it's",
        "'",
        "''",
        "'\\''",
        "\"double\" and 'single'",
        "back\\slash\\",
        "\\",
        "lit\\n not a newline",
        "line1\nline2",
        "ends with newlines\n\n",
        "\r\nwindows\r\n",
        "trailing spaces   ",
        "   leading spaces",
        "# not a comment",
        "a=b=c ; echo no",
        "ünïcødé ✓ 秘密",
        "x'\n'y\\'",
        "tab\there",
    ];

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
                ("E".into(), "multi\nline".into()),
            ]
        );
        // An empty value is never imported: one line must not blank a live secret.
        let (_, errors) = parse(text);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].line, errors[0].message.as_str()),
            (7, "D: The value is empty; machines would be served an empty string.")
        );
    }

    #[test]
    fn bad_lines_are_numbered() {
        let (ok, errors) = parse("GOOD=1\nno equals\nbad name=2\nGOOD=3\nQ=\"open\n");
        assert_eq!(ok.len(), 1);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert!(errors[1].message.contains("bad name"));
        assert_eq!(errors[2].message, "GOOD appears more than once; the first one is kept.");
        assert_eq!(errors[3].message, "The double-quoted value is never closed.");
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

    #[test]
    fn export_single_quotes_every_value() {
        let text = render([("A", "it's $(x)"), ("B", "two\nlines"), ("C", "")]);
        assert_eq!(text, "A='it'\\''s $(x)'\nB='two\nlines'\nC=''\n");
    }

    #[test]
    fn hostile_values_read_back_unchanged() {
        let names: Vec<String> = (0..HOSTILE.len()).map(|i| format!("V{i}")).collect();
        let text = render(names.iter().map(String::as_str).zip(HOSTILE));
        let (back, errors) = parse(&text);
        assert_eq!(errors, []);
        let back: Vec<(String, String)> = back.into_iter().map(|e| (e.name, e.value.expose().to_owned())).collect();
        let want: Vec<(String, String)> = names.iter().cloned().zip(HOSTILE.map(str::to_owned)).collect();
        assert_eq!(back, want);
        // Entry lines count the newlines of the values before them.
        let (entries, _) = parse(&render([("A", "1\n2\n3"), ("B", "b")]));
        assert_eq!(entries.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 4]);
    }

    #[test]
    fn sh_reads_the_export_exactly_and_runs_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..HOSTILE.len()).map(|i| format!("V{i}")).collect();
        std::fs::write(dir.path().join("vault.env"), render(names.iter().map(String::as_str).zip(HOSTILE))).unwrap();
        for (name, value) in names.iter().zip(HOSTILE) {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("set -a; . ./vault.env; printf %s \"${name}\""))
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "sh failed for {name}: {}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{name}");
            assert_eq!(out.stdout, value.as_bytes(), "{name}");
        }
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        left.sort();
        assert_eq!(left, ["vault.env"], "sourcing the export created files");
    }

    #[test]
    fn single_quotes_read_as_sh_and_as_before() {
        let text =
            "A='it'\\''s'\nB='a''b' # c\nC='two\nlines'\nD='it's'\nE='open\nF=1\nG='x' # it's\nH=\"old\\nexport\"\n";
        let (entries, errors) = parse(text);
        let got: Vec<(usize, String, String)> =
            entries.into_iter().map(|e| (e.line, e.name, e.value.expose().to_owned())).collect();
        let want = [
            (1, "A", "it's"),
            (2, "B", "ab"),
            (3, "C", "two\nlines"),
            (5, "D", "it's"),
            (7, "F", "1"),
            (8, "G", "x"),
            (9, "H", "old\nexport"),
        ];
        assert_eq!(got, want.map(|(l, n, v)| (l, n.to_owned(), v.to_owned())));
        assert_eq!(
            errors,
            [EnvError { line: 6, message: "The single-quoted value is not closed on this line.".into() }]
        );
    }

    #[test]
    fn adversarial_inputs_take_linear_work() {
        let mut inputs = vec![
            format!("A=\"{}", "\n".repeat(90_000)),
            format!("A='{}", "\n".repeat(90_000)),
            "A='x\n".repeat(90_000),
            "A=\"x\n".repeat(90_000),
            "A=''\n".repeat(90_000),
            format!("A='\n{}", "B=''\n".repeat(90_000)),
            format!("A='\n{}", "B='''\n".repeat(90_000)),
            format!("A='\n{}", "B=''\\'\n".repeat(90_000)),
            format!("A='\n{}x", "B=''\\''\n".repeat(90_000)),
            format!("A=\"{}", "\\".repeat(200_000)),
            format!("A='{}", "'".repeat(200_001)),
            format!("A='{}", "\\''".repeat(200_000)),
        ];
        // A pseudo-random mix of the characters that matter.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..8 {
            let text: String = (0..200_000)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    ['\'', '\'', '\\', '"', '=', 'A', '\n', '\n', '#', ' ', 'é'][(seed % 11) as usize]
                })
                .collect();
            inputs.push(text);
        }
        for text in &inputs {
            let (_, _, work) = parse_counting(text);
            let start: String = text.chars().take(8).collect();
            assert!(work <= 6 * text.len() + 64, "work {work} for {} bytes starting {start:?}", text.len());
        }
        // The unclosed quote is one error; everything after it is its value.
        let (entries, errors) = parse(&format!("A=\"{}B=1\n", "\n".repeat(90_000)));
        assert_eq!((entries.len(), errors.len()), (0, 1));
        // An unclosed single quote is one error on its line; the next lines are read.
        let (entries, errors) = parse(&format!("A='x{}B=1\n", "\n".repeat(90_000)));
        assert_eq!((entries.len(), errors.len(), errors[0].line), (1, 1, 1));
        assert_eq!(entries[0].line, 90_001);
    }

    #[test]
    fn many_names_are_checked_once_each() {
        let text: String = (0..ENTRIES_MAX / 2).map(|i| format!("N{i}={i}\nN{i}=again\n")).collect();
        let (entries, errors, work) = parse_counting(&text);
        assert_eq!((entries.len(), errors.len()), (ENTRIES_MAX / 2, ENTRIES_MAX / 2));
        assert!(errors.iter().all(|e| e.message.ends_with("appears more than once; the first one is kept.")));
        assert!(work <= 6 * text.len());
        let text: String = (0..ENTRIES_MAX).map(|i| format!("N{i}={i}\n")).collect();
        assert_eq!(parse(&text).0.len(), ENTRIES_MAX);
    }

    #[test]
    fn too_large_or_too_many_is_refused() {
        let text = format!("A='{}'\n", "x".repeat(TEXT_MAX));
        let (entries, errors) = parse(&text);
        assert!(entries.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 1);
        assert!(errors[0].message.contains("larger than 1 MiB"), "{}", errors[0].message);

        let text: String = (0..40_000).map(|i| format!("N{i}=v\n")).collect();
        let (entries, errors) = parse(&text);
        assert!(entries.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, ENTRIES_MAX + 1);
        assert!(errors[0].message.contains("more than 10,000"), "{}", errors[0].message);
        // Bad lines count too.
        let (entries, errors) = parse(&"bad\n".repeat(ENTRIES_MAX + 1));
        assert_eq!((entries.len(), errors.len()), (0, 1));
        assert!(errors[0].message.contains("more than 10,000"));
    }
}
