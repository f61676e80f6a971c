//! A file's rows, read a chunk at a time, so that what the rows of a chunk
//! refer to can be looked up for all of them at once.
//!
//! Handing chunks between threads was tried twice: reading on a thread of
//! its own (a shuffled scale-10 delivery took 14 s of CPU instead of 12.4,
//! and no less time), and building the Arrow batches from each checked
//! chunk on the Parquet writer's thread (9.4 s instead of 6.8, as
//! generated). Chunks cycling through threads are cold in cache when
//! filled again; one chunk read into over and over stays warm.

use csv::StringRecord;
use indicatif::ProgressBar;

use super::digest::ReadDigest;
use super::error::IngestError;
use super::lines::{LineCounter, RecordLimits};
use super::load::csv_error;
use super::source::{Opened, Source};

/// Rows per chunk: enough look-ups at once to keep the memory busy, few
/// enough for the chunk to stay in cache.
const ROWS_PER_CHUNK: usize = 256;

/// Consecutive rows of a file, each with the line it starts on.
pub(crate) struct Chunk {
    records: Vec<StringRecord>,
    lines: Vec<u64>,
    filled: usize,
    /// Why reading ended after these rows, if it did: the end of the file,
    /// or an error to report once the rows before it have been checked
    /// (and only if none of them stopped the file).
    pub ended: Option<Result<(), IngestError>>,
}

impl Chunk {
    pub(crate) fn new() -> Self {
        Chunk {
            records: vec![StringRecord::new(); ROWS_PER_CHUNK],
            lines: vec![0; ROWS_PER_CHUNK],
            filled: 0,
            ended: None,
        }
    }

    pub(crate) fn records(&self) -> impl Iterator<Item = &StringRecord> {
        self.records[..self.filled].iter()
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = (&StringRecord, u64)> {
        self.records().zip(self.lines.iter().copied())
    }

    /// Reads rows after `line` until the chunk is full or reading ends.
    /// Returns the last row's line.
    fn fill(
        &mut self,
        reader: &mut csv::Reader<Box<dyn std::io::Read>>,
        mut line: u64,
        lines: &LineCounter,
        error: impl Fn(csv::Error) -> IngestError,
    ) -> u64 {
        self.filled = 0;
        self.ended = None;
        while self.filled < ROWS_PER_CHUNK {
            let record = &mut self.records[self.filled];
            match reader.read_record(record) {
                Ok(true) => {}
                Ok(false) => {
                    self.ended = Some(Ok(()));
                    break;
                }
                Err(e) => {
                    self.ended = Some(Err(error(e)));
                    break;
                }
            }
            // Found as each row is read: the line counter only goes forward.
            line = record
                .position()
                .map_or(line + 1, |p| lines.line_of(p.byte()));
            self.lines[self.filled] = line;
            self.filled += 1;
        }
        line
    }
}

/// A file being read, a chunk of rows at a time.
pub(crate) struct Rows<'a> {
    source: &'a Source,
    reader: csv::Reader<Box<dyn std::io::Read>>,
    lines: LineCounter,
    digest: ReadDigest,
    pub header: StringRecord,
    /// The line of the last row read.
    line: u64,
}

impl<'a> Rows<'a> {
    /// Opens `source` and reads its header.
    pub(crate) fn open(
        source: &'a Source,
        limits: RecordLimits,
        progress: &ProgressBar,
    ) -> Result<Self, IngestError> {
        let Opened {
            mut reader,
            lines,
            digest,
        } = source.open(progress, limits)?;
        let header = reader
            .headers()
            .map_err(|e| csv_error(source, &lines, &StringRecord::new(), e))?
            .clone();
        Ok(Rows {
            source,
            reader,
            lines,
            digest,
            header,
            line: 1,
        })
    }

    /// The SHA-256 of the bytes read, once the file was read to its end
    /// (see [`ReadDigest::finish`]).
    pub(crate) fn finish(self) -> Result<Option<String>, IngestError> {
        let Rows { source, digest, .. } = self;
        digest.finish(&source.path)
    }

    /// Reads the next rows into `chunk`, until it is full or reading ends.
    pub(crate) fn next(&mut self, chunk: &mut Chunk) {
        let Rows {
            source,
            reader,
            lines,
            header,
            line,
            ..
        } = self;
        *line = chunk.fill(reader, *line, lines, |e| {
            csv_error(source, lines, header, e)
        });
    }
}
