//! Text on its way to the operator's terminal. Column names, values and
//! parser messages can come from a supplier's file; a control character
//! in them (an escape sequence, a bidirectional override) could rewrite
//! what the terminal shows, so every message is printed through
//! [`printable`], and supplier strings are put in messages [`quoted`].

use std::fmt::Write;

/// Longest supplier string a message quotes in full.
const QUOTED_CHARS: usize = 64;

/// `text` with every control character except the line break, and every
/// bidirectional formatting character, written as a `\u{..}` escape.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if (c.is_control() && c != '\n') || is_bidi_control(c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// A supplier's string for a message: in quotes, escaped, and cut short
/// when long (a field can be megabytes).
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{:?}… ({} bytes)", &text[..end], text.len()),
        None => format!("{text:?}"),
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped_and_lines_kept() {
        assert_eq!(
            printable("a\u{1b}]0;x\u{7}b\nc\t\u{202e}d\u{9b}"),
            "a\\u{1b}]0;x\\u{7}b\nc\\u{9}\\u{202e}d\\u{9b}"
        );
        assert_eq!(printable("orders.csv: line 2"), "orders.csv: line 2");
    }

    #[test]
    fn long_strings_are_cut_with_their_size() {
        assert_eq!(quoted("order\u{1b}id"), "\"order\\u{1b}id\"");
        let long = "é".repeat(70);
        assert_eq!(
            quoted(&long),
            format!("\"{}\"… (140 bytes)", "é".repeat(64))
        );
    }
}
