//! Line numbers as a person opening the file counts them, and the limits
//! that keep a hostile file from taking unbounded memory. The text the csv
//! reader parses first passes through a scanner that splits records as the
//! csv crate does (RFC 4180, `\r`, `\n` or `\r\n` ends, blank lines
//! skipped). The scanner notes the line each record starts on (the csv
//! crate's own count drifts on `\r\n` and blank lines; a lone `\r`, which
//! the csv crate takes as a record's end and an editor as a line's, is
//! counted as a line end too, so a file with old Mac line ends still names
//! true lines), and fails the read
//! as soon as a record, a field, a record's field count or a run of blank
//! lines passes its limit: before the parser has buffered it. Reading and
//! scanning run on a thread of their own, a megabyte ahead of the parser.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use dtto_model::format::thousands;

/// How large a file's records may be before the file is refused whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLimits {
    /// Bytes of one record (the header or a row, with any line breaks
    /// quoted inside it), and of a run of blank lines.
    pub line_bytes: u64,
    /// Bytes of one field, without its quotes.
    pub field_bytes: u64,
    /// Fields of one record.
    pub columns: u64,
}

/// A record, field or run of blank lines over its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Breach {
    #[error("line {line}: a record longer than {} bytes, the limit (ingest.max_line_bytes)", thousands(*limit))]
    Line { line: u64, limit: u64 },
    #[error("line {line}, {}: a field longer than {} bytes, the limit (ingest.max_field_bytes)", name.as_deref().map_or_else(|| format!("field {field}"), |n| format!("column {n}")), thousands(*limit))]
    Field {
        line: u64,
        /// 1-based.
        field: u64,
        /// The column's name, quoted, once the header is known.
        name: Option<String>,
        limit: u64,
    },
    #[error("line {line}: more than {} fields, the limit (ingest.max_columns)", thousands(*limit))]
    Columns { line: u64, limit: u64 },
    #[error("from line {line}: more than {} bytes of blank lines, the limit (ingest.max_line_bytes)", thousands(*limit))]
    BlankLines { line: u64, limit: u64 },
}

impl Breach {
    /// Names a field by its column in the header, when it has one.
    pub fn with_column_names(self, header: &csv::StringRecord) -> Breach {
        match self {
            Breach::Field {
                line, field, limit, ..
            } => Breach::Field {
                line,
                field,
                name: usize::try_from(field - 1)
                    .ok()
                    .and_then(|i| header.get(i))
                    .map(crate::terminal::quoted),
                limit,
            },
            other => other,
        }
    }
}

/// Where the scanner is within the CSV grammar, as csv-core's parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between records: line breaks here are blank lines.
    StartRecord,
    StartField,
    InField,
    InQuoted,
    /// A `"` inside a quoted field: a doubled quote or the field's end.
    QuoteInQuoted,
}

/// Follows the text byte by byte (runs without structure are skipped with
/// memchr), counting lines, records, fields and their sizes.
struct Scanner {
    limits: RecordLimits,
    state: State,
    /// 1-based line of the next byte.
    line: u64,
    /// The last byte was a `\r`: a `\n` now ends the same line.
    after_cr: bool,
    /// Offset of the next byte.
    offset: u64,
    record_bytes: u64,
    field_bytes: u64,
    fields: u64,
    blank_bytes: u64,
    blank_from: u64,
    /// Records started since the last block was handed over: offset of
    /// the first byte and its line.
    starts: Vec<(u64, u64)>,
    /// The line the record being read started on, and its first byte.
    record_start: u64,
    record_offset: u64,
}

impl Scanner {
    fn new(limits: RecordLimits) -> Self {
        Scanner {
            limits,
            state: State::StartRecord,
            line: 1,
            after_cr: false,
            offset: 0,
            record_bytes: 0,
            field_bytes: 0,
            fields: 0,
            blank_bytes: 0,
            blank_from: 1,
            starts: Vec::new(),
            record_start: 1,
            record_offset: 0,
        }
    }

    fn scan(&mut self, text: &[u8]) -> Result<(), Breach> {
        let mut at = 0;
        while at < text.len() {
            if self.state == State::StartRecord
                && let Some(taken) = self.plain_record(&text[at..])
            {
                at += taken;
                continue;
            }
            let byte = text[at];
            let run = match self.state {
                State::InField => memchr::memchr3(b',', b'\r', b'\n', &text[at..]),
                State::InQuoted => memchr::memchr3(b'"', b'\r', b'\n', &text[at..]),
                _ => Some(0),
            }
            .unwrap_or(text.len() - at);
            // No further than the first byte over a limit: which limit a
            // breach names must not depend on how the text was cut into
            // reads.
            let room = (self.limits.field_bytes.saturating_sub(self.field_bytes))
                .min(self.limits.line_bytes.saturating_sub(self.record_bytes))
                + 1;
            let run = run.min(usize::try_from(room).unwrap_or(usize::MAX));
            if run > 0 {
                self.field_bytes += run as u64;
                self.record_bytes += run as u64;
                self.offset += run as u64;
                self.after_cr = false;
                at += run;
                self.check_sizes()?;
                continue;
            }
            self.step(byte)?;
            self.count_line_end(byte);
            self.offset += 1;
            at += 1;
        }
        Ok(())
    }

    /// A whole record on one line of `text`, without quotes or `\r`, and
    /// too short for any field of it to be over the limit: the common case,
    /// taken in a few vectorised passes rather than byte by byte. `None`
    /// leaves the text to the byte-by-byte path.
    fn plain_record(&mut self, text: &[u8]) -> Option<usize> {
        let end = memchr::memchr(b'\n', text)?;
        let line = &text[..end];
        let fields = line.iter().filter(|&&b| b == b',').count() as u64 + 1;
        let plain = !line.is_empty()
            && line.len() as u64 <= self.limits.field_bytes
            && (end as u64) < self.limits.line_bytes
            && fields <= self.limits.columns
            && memchr::memchr2(b'"', b'\r', line).is_none();
        if !plain {
            return None;
        }
        self.record_starts();
        self.state = self.end_record();
        self.line += 1;
        self.after_cr = false;
        self.offset += end as u64 + 1;
        Some(end + 1)
    }

    /// `\n`, `\r\n` and a lone `\r` each end one line.
    fn count_line_end(&mut self, byte: u8) {
        match byte {
            b'\r' => {
                self.line += 1;
                self.after_cr = true;
            }
            b'\n' => {
                if !self.after_cr {
                    self.line += 1;
                }
                self.after_cr = false;
            }
            _ => self.after_cr = false,
        }
    }

    /// One byte that may change the state (runs are counted by `scan`).
    fn step(&mut self, byte: u8) -> Result<(), Breach> {
        let is_break = byte == b'\r' || byte == b'\n';
        if self.state == State::StartRecord {
            if is_break {
                return self.blank_byte();
            }
            self.record_starts();
            self.record_bytes = 0;
            self.fields = 0;
            self.state = State::StartField;
        }
        self.record_bytes += 1;
        self.state = match (self.state, byte) {
            // A record's first byte has just made the state StartField.
            (State::StartRecord | State::StartField, _) => self.start_field(byte, is_break)?,
            (State::InQuoted, b'"') => State::QuoteInQuoted,
            (State::InQuoted, _) => {
                self.field_bytes += 1;
                State::InQuoted
            }
            (State::QuoteInQuoted, b'"') => {
                self.field_bytes += 1;
                State::InQuoted
            }
            (State::InField | State::QuoteInQuoted, b',') => State::StartField,
            (State::InField | State::QuoteInQuoted, _) if is_break => self.end_record(),
            // After a closing quote, csv-core reads on as an unquoted field.
            (State::InField | State::QuoteInQuoted, _) => {
                self.field_bytes += 1;
                State::InField
            }
        };
        self.check_sizes()
    }

    fn start_field(&mut self, byte: u8, is_break: bool) -> Result<State, Breach> {
        self.fields += 1;
        self.field_bytes = 0;
        if self.fields > self.limits.columns {
            return Err(Breach::Columns {
                line: self.record_line(),
                limit: self.limits.columns,
            });
        }
        Ok(match byte {
            b'"' => State::InQuoted,
            b',' => State::StartField,
            _ if is_break => self.end_record(),
            _ => {
                self.field_bytes = 1;
                State::InField
            }
        })
    }

    fn end_record(&mut self) -> State {
        self.blank_bytes = 0;
        self.blank_from = self.line + 1;
        State::StartRecord
    }

    fn blank_byte(&mut self) -> Result<(), Breach> {
        self.blank_bytes += 1;
        if self.blank_bytes > self.limits.line_bytes {
            return Err(Breach::BlankLines {
                line: self.blank_from,
                limit: self.limits.line_bytes,
            });
        }
        Ok(())
    }

    fn record_starts(&mut self) {
        self.starts.push((self.offset, self.line));
        self.record_start = self.line;
        self.record_offset = self.offset;
    }

    /// The line the record being read started on.
    fn record_line(&self) -> u64 {
        self.record_start
    }

    fn check_sizes(&self) -> Result<(), Breach> {
        let line = self.record_line();
        if self.field_bytes > self.limits.field_bytes {
            return Err(Breach::Field {
                line,
                field: self.fields,
                name: None,
                limit: self.limits.field_bytes,
            });
        }
        if self.record_bytes > self.limits.line_bytes {
            return Err(Breach::Line {
                line,
                limit: self.limits.line_bytes,
            });
        }
        Ok(())
    }
}

/// Bytes read and scanned at a time.
const BLOCK_BYTES: usize = 1 << 20;

/// Blocks scanned ahead of the parser: the memory this takes is bounded.
const BLOCKS_AHEAD: usize = 2;

/// One block of text, scanned.
struct Scanned {
    bytes: Vec<u8>,
    /// The records that start in it: offset and line.
    starts: Vec<(u64, u64)>,
    /// The line the text has reached at the block's end.
    line: u64,
    /// Why the text ends after this block, if it does for a reason other
    /// than its end: a breach of a limit, or a failed read.
    failure: Option<std::io::Error>,
}

/// The text the csv reader parses, read and scanned on a thread of its
/// own a block at a time: reading and scanning are a tenth of a load, and
/// a block of a megabyte is handed over for almost nothing.
pub(crate) struct LineTrackingReader {
    blocks: Receiver<Scanned>,
    /// Blocks read, handed back to be read into again.
    emptied: Sender<Vec<u8>>,
    block: Vec<u8>,
    taken: usize,
    /// Why the text ends after the current block, if it does for a reason
    /// other than its end: returned once the block has been read.
    failure: Option<std::io::Error>,
    /// The text has ended (or failed, and the failure was returned).
    ended: bool,
    lines: LineCounter,
}

impl LineTrackingReader {
    pub(crate) fn new(
        inner: impl Read + Send + 'static,
        limits: RecordLimits,
    ) -> (Self, LineCounter) {
        let (sender, blocks) = sync_channel(BLOCKS_AHEAD);
        let (emptied, spare) = channel();
        std::thread::spawn(move || scan_blocks(inner, limits, sender, spare));
        let lines = LineCounter(Rc::new(RefCell::new(Consumed {
            starts: VecDeque::new(),
            line: 1,
        })));
        let reader = LineTrackingReader {
            blocks,
            emptied,
            block: Vec::new(),
            taken: 0,
            failure: None,
            ended: false,
            lines: lines.clone(),
        };
        (reader, lines)
    }
}

/// Reads and scans `inner` until it ends, fails or breaks a limit, or the
/// reader is dropped.
fn scan_blocks(
    mut inner: impl Read,
    limits: RecordLimits,
    sender: SyncSender<Scanned>,
    spare: Receiver<Vec<u8>>,
) {
    let mut scanner = Scanner::new(limits);
    loop {
        let mut bytes = spare.try_recv().unwrap_or_default();
        bytes.resize(BLOCK_BYTES, 0);
        let mut filled = 0;
        let mut failure = None;
        while filled < bytes.len() {
            match inner.read(&mut bytes[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        bytes.truncate(filled);
        let start = scanner.offset;
        // A breach is an error of the read, carrying the [`Breach`]: the
        // parser is handed the records before the one that breaks a limit
        // (so the header can name its column), and none of that one.
        if let Err(breach) = scanner.scan(&bytes) {
            let before = scanner.record_offset.saturating_sub(start);
            bytes.truncate(usize::try_from(before).unwrap_or(0));
            failure = Some(std::io::Error::other(breach));
        }
        let last = filled == 0 || failure.is_some();
        let block = Scanned {
            bytes,
            starts: std::mem::take(&mut scanner.starts),
            line: scanner.line,
            failure,
        };
        if sender.send(block).is_err() || last {
            return;
        }
    }
}

impl Read for LineTrackingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.taken == self.block.len() && !self.ended {
            if let Some(failure) = self.failure.take() {
                self.ended = true;
                return Err(failure);
            }
            let Ok(block) = self.blocks.recv() else {
                return Err(std::io::Error::other(
                    "the thread reading the file stopped unexpectedly",
                ));
            };
            let mut consumed = self.lines.0.borrow_mut();
            consumed.starts.extend(block.starts);
            consumed.line = block.line;
            let emptied = std::mem::replace(&mut self.block, block.bytes);
            // The thread has stopped if this fails, and needs no more.
            let _ = self.emptied.send(emptied);
            self.taken = 0;
            self.failure = block.failure;
            self.ended = self.block.is_empty() && self.failure.is_none();
        }
        let n = buf.len().min(self.block.len() - self.taken);
        buf[..n].copy_from_slice(&self.block[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

/// What the parser has been handed of the scanner's findings.
struct Consumed {
    /// Records handed over but not yet passed by the parser: offset of the
    /// first byte and its line. Holds only what is read ahead of the
    /// parser, so it stays small whatever the file.
    starts: VecDeque<(u64, u64)>,
    line: u64,
}

/// Answers "which line does the record starting at this byte start on?"
/// for records in file order, and "where had reading got to?".
#[derive(Clone)]
pub struct LineCounter(Rc<RefCell<Consumed>>);

impl LineCounter {
    /// The 1-based line of a record whose parse began at byte `start`. The
    /// parser reports the byte after the previous record, which may still
    /// be the `\n` of a `\r\n` or a blank line: the record is the first
    /// the scanner saw start at or after it.
    pub fn line_of(&self, start: u64) -> u64 {
        let mut consumed = self.0.borrow_mut();
        while consumed.starts.front().is_some_and(|&(at, _)| at < start) {
            consumed.starts.pop_front();
        }
        consumed
            .starts
            .front()
            .map_or(consumed.line, |&(_, line)| line)
    }

    /// The line the text had reached: where a truncated or corrupt file
    /// broke off.
    pub fn line_reached(&self) -> u64 {
        self.0.borrow().line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GENEROUS: RecordLimits = RecordLimits {
        line_bytes: 1 << 20,
        field_bytes: 1 << 20,
        columns: 1000,
    };

    fn record_lines(text: &str) -> Vec<(String, u64)> {
        let (reader, lines) =
            LineTrackingReader::new(std::io::Cursor::new(text.as_bytes().to_vec()), GENEROUS);
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let mut record = csv::StringRecord::new();
        let mut out = Vec::new();
        while csv.read_record(&mut record).unwrap() {
            let start = record.position().map_or(0, |p| p.byte());
            out.push((record[0].to_string(), lines.line_of(start)));
        }
        out
    }

    /// Line ends as an editor counts them: `\r\n`, `\r` or `\n`.
    fn line_ends(text: &[u8]) -> u64 {
        let lone_newlines = text
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' && (i == 0 || text[i - 1] != b'\r'))
            .count();
        let returns = text.iter().filter(|&&b| b == b'\r').count();
        (lone_newlines + returns) as u64
    }

    /// The breach reading `text` in chunks of `chunk` bytes meets, if any.
    fn breach(text: &[u8], limits: RecordLimits, chunk: usize) -> Option<Breach> {
        let mut scanner = Scanner::new(limits);
        text.chunks(chunk).find_map(|part| scanner.scan(part).err())
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
        // Old Mac line ends: a lone \r ends a line, in quotes too.
        assert_eq!(record_lines("a,b\rx,1\r\ry,\"2\r\"\rz,3\r"), expected);
        assert_eq!(record_lines("a,b\rx,1\n\r\ny,\"2\r\"\rz,3"), expected);
    }

    #[test]
    fn each_limit_is_met_at_its_line_whatever_the_chunks() {
        let limits = RecordLimits {
            line_bytes: 12,
            field_bytes: 4,
            columns: 3,
        };
        let cases: [(&[u8], Breach); 5] = [
            // Line 3's second field has 5 bytes.
            (
                b"a,b\nab,cd\n1,12345\n",
                Breach::Field {
                    line: 3,
                    field: 2,
                    name: None,
                    limit: 4,
                },
            ),
            // Quotes are not counted; the doubled quote is one byte: 5.
            (
                b"a\n\"12\"\"34\"\n",
                Breach::Field {
                    line: 2,
                    field: 1,
                    name: None,
                    limit: 4,
                },
            ),
            // 13 bytes from line 2, over a quoted line break.
            (b"a\n12,\"2\n\",4444\n", Breach::Line { line: 2, limit: 12 }),
            (b"a,b,c,d\n", Breach::Columns { line: 1, limit: 3 }),
            // 13 blank-line bytes after line 1.
            (
                b"a\n\r\n\r\n\r\n\r\n\r\n\r\n\n1\n",
                Breach::BlankLines { line: 2, limit: 12 },
            ),
        ];
        for (text, expected) in cases {
            for chunk in [1, 3, text.len()] {
                assert_eq!(
                    breach(text, limits, chunk),
                    Some(expected.clone()),
                    "{:?} in chunks of {chunk}",
                    String::from_utf8_lossy(text)
                );
            }
        }
        // Exactly at every limit is fine.
        assert_eq!(
            breach(b"ab,c,\"efgh\"\n\r\n\r\n\r\n\r\n\r\n\r\n1\n", limits, 1),
            None
        );
    }

    #[test]
    fn a_field_is_named_by_its_column_once_the_header_is_known() {
        let header = csv::StringRecord::from(vec!["order_id", "person\u{1b}id"]);
        let named = Breach::Field {
            line: 7,
            field: 2,
            name: None,
            limit: 4096,
        }
        .with_column_names(&header);
        assert_eq!(
            named.to_string(),
            "line 7, column \"person\\u{1b}id\": a field longer than 4,096 bytes, the limit (ingest.max_field_bytes)"
        );
    }

    #[test]
    fn the_records_before_a_breach_reach_the_parser_and_none_of_it() {
        let limits = RecordLimits {
            line_bytes: 100,
            field_bytes: 4,
            columns: 10,
        };
        let text = b"id,v\n1,ok\n2,toolong\n3,x\n".to_vec();
        let (reader, _) = LineTrackingReader::new(std::io::Cursor::new(text), limits);
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        assert_eq!(csv.headers().unwrap(), vec!["id", "v"]);
        let mut record = csv::StringRecord::new();
        assert!(csv.read_record(&mut record).unwrap());
        assert_eq!(record, vec!["1", "ok"]);
        let error = csv.read_record(&mut record).unwrap_err();
        let breach = match error.kind() {
            csv::ErrorKind::Io(e) => e.get_ref().and_then(|e| e.downcast_ref::<Breach>()),
            _ => None,
        };
        assert_eq!(
            breach,
            Some(&Breach::Field {
                line: 3,
                field: 2,
                name: None,
                limit: 4
            })
        );
    }

    #[test]
    fn reading_stopped_on_the_line_where_the_text_broke_off() {
        let (mut reader, lines) = LineTrackingReader::new(&b"a\n1\n\"2\n3"[..], GENEROUS);
        std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        assert_eq!(lines.line_reached(), 4);
    }

    proptest! {
        #![proptest_config(dtto_testing::deterministic(256, 1024))]

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

        /// However the text arrives, in whole lines (the fast path) or byte
        /// by byte, the scanner finds the same records and the same breach.
        #[test]
        fn the_fast_path_and_the_byte_by_byte_one_agree(
            text in proptest::collection::vec(prop_oneof![
                Just(b'"'), Just(b','), Just(b'\r'), Just(b'\n'), Just(b'a'), Just(b'a')
            ], 0..60),
            field_bytes in 1u64..6,
            more_for_a_line in 0u64..6,
            columns in 1u64..5,
        ) {
            let limits = RecordLimits {
                line_bytes: field_bytes + more_for_a_line,
                field_bytes,
                columns,
            };
            let scan = |chunk: usize| {
                let mut scanner = Scanner::new(limits);
                let breach = text.chunks(chunk).find_map(|part| scanner.scan(part).err());
                (breach, scanner.starts)
            };
            prop_assert_eq!(scan(1), scan(text.len().max(1)));
        }

        /// Whatever the bytes, the scanner starts a record exactly where
        /// the csv crate does.
        #[test]
        fn records_start_where_the_csv_crate_starts_them(
            text in proptest::collection::vec(prop_oneof![
                Just(b'"'), Just(b','), Just(b'\r'), Just(b'\n'), Just(b'a')
            ], 0..40)
        ) {
            let (reader, lines) = LineTrackingReader::new(std::io::Cursor::new(text.clone()), GENEROUS);
            let mut csv = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(false)
                .from_reader(reader);
            let mut record = csv::ByteRecord::new();
            while csv.read_byte_record(&mut record).unwrap() {
                let from = record.position().map_or(0, |p| p.byte()) as usize;
                let first = text[from..]
                    .iter()
                    .position(|&b| b != b'\r' && b != b'\n')
                    .map_or(text.len(), |i| from + i);
                prop_assert_eq!(lines.line_of(from as u64), line_ends(&text[..first]) + 1);
            }
        }
    }
}
