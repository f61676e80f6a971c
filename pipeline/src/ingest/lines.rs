//! Line numbers as a person opening the file counts them. The csv crate's
//! own count drifts on `\r\n` line ends and blank lines, so the reader is
//! wrapped to note where every line break falls, and a record's line is
//! worked out from its byte offset.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;

/// Wraps the text the csv reader parses and notes its line breaks.
pub struct LineTrackingReader<R> {
    inner: R,
    offset: u64,
    lines: LineCounter,
}

impl<R: Read> LineTrackingReader<R> {
    pub fn new(inner: R) -> (Self, LineCounter) {
        let lines = LineCounter::default();
        let reader = LineTrackingReader {
            inner,
            offset: 0,
            lines: lines.clone(),
        };
        (reader, lines)
    }
}

impl<R: Read> Read for LineTrackingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.lines.0.borrow_mut();
        for at in memchr::memchr2_iter(b'\r', b'\n', &buf[..n]) {
            state.breaks.push_back((self.offset + at as u64, buf[at]));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Answers "which line does the record starting at this byte start on?"
/// for records in file order. It holds only the breaks read ahead of the
/// parser, so its memory stays small.
#[derive(Clone, Default)]
pub struct LineCounter(Rc<RefCell<LineState>>);

#[derive(Default)]
struct LineState {
    /// `\r` and `\n` bytes read but not yet passed, with their offsets.
    breaks: VecDeque<(u64, u8)>,
    /// `\n` bytes passed so far.
    passed_newlines: u64,
}

impl LineCounter {
    /// The 1-based line of a record whose parse began at byte `start`. The
    /// parser reports the byte after the previous record, which may still
    /// be the `\n` of a `\r\n` or a blank line: those are skipped.
    pub fn line_of(&self, start: u64) -> u64 {
        let mut state = self.0.borrow_mut();
        let mut first_content = start;
        while let Some(&(at, byte)) = state.breaks.front() {
            if at < start {
            } else if at == first_content {
                first_content += 1;
            } else {
                break;
            }
            if byte == b'\n' {
                state.passed_newlines += 1;
            }
            state.breaks.pop_front();
        }
        state.passed_newlines + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record_lines(text: &str) -> Vec<(String, u64)> {
        let (reader, lines) = LineTrackingReader::new(text.as_bytes());
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let mut record = csv::StringRecord::new();
        let mut out = Vec::new();
        while csv.read_record(&mut record).unwrap() {
            let start = record.position().map_or(0, |p| p.byte());
            out.push((record[0].to_string(), lines.line_of(start)));
        }
        out
    }

    #[test]
    fn lines_are_right_for_every_line_end_and_blank_lines() {
        let expected = vec![
            ("x".to_string(), 2),
            ("y".to_string(), 4),
            ("z".to_string(), 6),
        ];
        assert_eq!(record_lines("a,b\nx,1\n\ny,\"2\n\"\nz,3\n"), expected);
        assert_eq!(
            record_lines("a,b\r\nx,1\r\n\r\ny,\"2\r\n\"\r\nz,3\r\n"),
            expected
        );
        assert_eq!(record_lines("a,b\r\nx,1\n\r\ny,\"2\n\"\r\nz,3"), expected);
    }

    proptest! {
        #![proptest_config(crate::proptest_config::deterministic(256, 1024))]

        /// For any mix of line ends, blank lines and quoted breaks, each
        /// record's line is one plus the line breaks before its first byte.
        #[test]
        fn line_is_one_plus_the_breaks_before_the_record(
            rows in proptest::collection::vec(("[a-z]{1,3}", any::<bool>(), any::<bool>(), any::<bool>()), 1..20)
        ) {
            let mut text = String::from("h,v\n");
            let mut expected = Vec::new();
            for (value, crlf, blank_before, quoted_break) in rows {
                let end = if crlf { "\r\n" } else { "\n" };
                if blank_before {
                    text.push_str(end);
                }
                expected.push((value.clone(), text.matches('\n').count() as u64 + 1));
                let second = if quoted_break { format!("\"a{end}b\"") } else { "1".to_string() };
                text.push_str(&format!("{value},{second}{end}"));
            }
            prop_assert_eq!(record_lines(&text), expected);
        }
    }
}
