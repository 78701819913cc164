//! CSV as spreadsheets read it (RFC 4180), safe to open: a cell is quoted when it holds a
//! comma, quote or line break, and a text cell that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`.

/// One CSV line (with its CRLF) of `cells`.
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(&mut out, cell.as_ref());
    }
    out.push_str("\r\n");
    out
}

fn push_cell(out: &mut String, cell: &str) {
    let guarded = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = guarded || cell.contains([',', '"', '\n', '\r']);
    if quoted {
        out.push('"');
    }
    if guarded {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quoted {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::line;

    #[test]
    fn quotes_what_needs_it_and_disarms_formulas() {
        assert_eq!(line(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(line(&["x,y", "say \"hi\"", "two\nlines"]), "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
        assert_eq!(line(&["=1+1", "@SUM(A1)", "-2", "+3", "a=b"]), "\"'=1+1\",\"'@SUM(A1)\",\"'-2\",\"'+3\",a=b\r\n");
    }
}
